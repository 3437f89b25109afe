"""Generations (generator.build.generations): one folder per build, one atomic switch of the
output link, the previous build kept for rollback, leftovers pruned."""

from __future__ import annotations

import os

import pytest

from generator.build.generations import Generations, locked
from generator.errors import BuildError


def _gens(tmp_path):
    return Generations(tmp_path / "output", tmp_path / ".chenglai-state" / "output")


def _built(gens, text):
    gen = gens.new()
    (gen.site / "index.html").write_text(text)
    gens.switch(gen)
    return gen


def test_switch_points_the_output_at_the_new_site(tmp_path):
    gens = _gens(tmp_path)
    assert gens.live() is None
    first = _built(gens, "one")
    assert (tmp_path / "output").is_symlink()
    assert (tmp_path / "output" / "index.html").read_text() == "one"
    assert gens.live() == first
    second = _built(gens, "two")
    assert (tmp_path / "output" / "index.html").read_text() == "two"
    assert gens.live() == second and gens.previous() == first
    # the link is relative: the site folder and its state can move together
    assert not os.readlink(tmp_path / "output").startswith("/")


def test_an_old_style_output_folder_is_replaced_once(tmp_path):
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "index.html").write_text("old")
    gens = _gens(tmp_path)
    _built(gens, "new")
    assert (tmp_path / "output").is_symlink()
    assert (tmp_path / "output" / "index.html").read_text() == "new"


def test_prune_keeps_live_and_previous_and_removes_a_crashed_build(tmp_path):
    gens = _gens(tmp_path)
    a = _built(gens, "a")
    b = _built(gens, "b")
    crashed = gens.new()  # a build killed before its switch
    assert gens.live() == b
    gens.prune([b, a])
    assert [g.name for g in gens.all()] == [a.name, b.name]
    assert not crashed.path.exists()
    c = gens.new()
    assert c.name not in {a.name, b.name}


def test_rollback_switches_back_to_the_previous_generation(tmp_path):
    gens = _gens(tmp_path)
    a = _built(gens, "a")
    _built(gens, "b")
    gens.switch(gens.previous())
    assert gens.live() == a
    assert (tmp_path / "output" / "index.html").read_text() == "a"


def test_one_build_at_a_time(tmp_path):
    state = tmp_path / "state"
    with locked(state):
        with pytest.raises(BuildError, match="另一个构建正在进行"):
            with locked(state):
                pass
