"""Settings for publishing: pelicanconf.py plus what only the public site needs."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("CHENGLAI_SITEURL", "https://example.invalid")
RELATIVE_URLS = False
