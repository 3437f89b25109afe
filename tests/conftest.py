"""Test strategy: every test builds what it needs from small, named fixture records written
into tmp_path (see tests/factory.py), and runs the real code on them: real YAML files, a
real Whoosh index, real feeds parsed back, a real browser. Nothing of ours is mocked."""
