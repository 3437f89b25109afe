"""The plugin's former name, kept working for content repositories whose pelicanconf.py lists
"generator.pelican_plugin" (the plugin lives in generator.build.plugin)."""

from generator.build.plugin import register

__all__ = ["register"]
