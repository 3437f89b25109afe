# chenglai — the two commands of README.md, and the helpers they use.
# `make serve`: set up, build the demo site and serve it with search on localhost:8000.
# `make test`:  set up (Python packages, Debian chromium, axe-core) and run the whole suite.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
N ?= 10000

.PHONY: serve build test check lint bench browser-deps demo clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

serve: $(VENV)/.installed
	$(VENV)/bin/chenglai serve --port $(PORT)

build: $(VENV)/.installed
	$(VENV)/bin/chenglai build

check: $(VENV)/.installed
	$(VENV)/bin/chenglai check content/debtors

demo: $(VENV)/.installed
	$(PY) scripts/make_demo.py

browser-deps:
	@# chromium and a CJK font (without it printed notices lose their Chinese text); strace for the
	@# tests that kill a build before each rename of its commit; rsync for the publishing example;
	@# rclone, nginx, openssh-server, wrk (and systemd-analyze) for the publish and public-host tests (started by the
	@# tests themselves on free loopback ports: the packages' own services are not needed)
	@dpkg -s chromium fonts-noto-cjk strace rsync rclone nginx openssh-server wrk systemd >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk strace rsync rclone nginx openssh-server wrk systemd; }
	@[ -f node_modules/axe-core/axe.min.js ] || npm install --no-save --no-audit --no-fund axe-core@4.14.1 >/dev/null

test: $(VENV)/.installed browser-deps
	$(PY) -m ruff check generator search tests benchmarks scripts
	$(PY) -m pytest -n 2

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run --records $(N) --write-docs

clean:
	rm -rf output .chenglai-state $(VENV) node_modules
