# chenglai — the two commands of README.md, and the helpers they use.
# `make serve`: set up, build the demo site and serve it with search on localhost:8000.
# `make test`:  set up (Python packages, Debian chromium and tools, axe-core) and run the whole suite.
# Staff shortcuts (the command itself is .venv/bin/chenglai, see docs/staff-guide.md):
#   make import FILE=导出.xlsx [ENTERED_BY=王某（书记员）]   make check [DRAFTS=1] [PATHS=…]
#   make vet BY=李某（执行法官） [PATHS=…] [ON=YYYY-MM-DD]    make sample [DATE=YYYY-MM-DD]
ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
VENV ?= .venv
PY := $(VENV)/bin/python
CHENGLAI := $(VENV)/bin/chenglai
PORT ?= 8000
N ?= 10000
PATHS ?= content/debtors

.PHONY: serve build test test-fast test-deps check import vet sample where bench browser-deps demo clean

$(VENV)/.installed: pyproject.toml
	@echo "正在准备 Python 环境 $(VENV)：安装依赖（首次需要几分钟，请稍候）…"
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@
	@$(MAKE) -s where

# where the command is: `make serve` does not put it on PATH
where:
	@echo "chenglai 命令位于 $(CHENGLAI)：直接运行它，或先运行 . $(VENV)/bin/activate 后输入 chenglai；"
	@echo "也可用 make check、make import FILE=…、make vet BY=…（见 docs/staff-guide.md 第 0 章）。"

serve: $(VENV)/.installed
	@echo "（chenglai 命令位于 $(CHENGLAI)，不在 PATH 上：见 make where）"
	$(CHENGLAI) serve --port $(PORT)

build: $(VENV)/.installed
	$(CHENGLAI) build

check: $(VENV)/.installed
	$(CHENGLAI) check $(if $(DRAFTS),--drafts) $(PATHS)

import: $(VENV)/.installed
	@[ -n "$(FILE)" ] || { echo "用法：make import FILE=导出文件.xlsx [ENTERED_BY=王某（书记员）]" >&2; exit 2; }
	$(CHENGLAI) import "$(FILE)" $(if $(ENTERED_BY),--entered-by "$(ENTERED_BY)")

vet: $(VENV)/.installed
	@[ -n "$(BY)" ] || { echo "用法：make vet BY=李某（执行法官） [PATHS=content/debtors] [ON=YYYY-MM-DD]" >&2; exit 2; }
	$(CHENGLAI) vet $(PATHS) --by "$(BY)" $(if $(ON),--on $(ON))

sample: $(VENV)/.installed
	$(PY) $(ROOT)scripts/make_import_sample.py import-sample.csv $(if $(DATE),--date $(DATE))

demo: $(VENV)/.installed
	$(PY) scripts/make_demo.py

# programs the tests start (none may be skipped for want of them): strace for the tests that
# kill a build before each rename of its commit; rsync for the publishing example
test-deps:
	@dpkg -s strace rsync >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace rsync; }

browser-deps: test-deps
	@# chromium and a CJK font (without it printed notices lose their Chinese text); rclone, nginx,
	@# openssh-server, wrk (and systemd-analyze) for the publish and public-host tests (started by the
	@# tests themselves on free loopback ports: the packages' own services are not needed)
	@dpkg -s chromium fonts-noto-cjk rclone nginx openssh-server wrk systemd >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk rclone nginx openssh-server wrk systemd; }
	@# Java for the Nu Html Checker and Jing (tests/test_validators.py)
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless; }
	@# one npm call for both: a second `npm install --no-save` would prune the first one's package
	@[ -f node_modules/axe-core/axe.min.js ] && [ -f node_modules/vnu-jar/build/dist/vnu.jar ] || npm install --no-save --no-audit --no-fund axe-core@4.14.1 vnu-jar@26.9.27 >/dev/null

test: $(VENV)/.installed browser-deps
	$(PY) -m ruff check generator search tests benchmarks scripts
	$(PY) -m pytest -n 2

# everything but the browser tests (no chromium needed): the quick loop while working
test-fast: $(VENV)/.installed test-deps
	$(PY) -m ruff check generator search tests benchmarks scripts
	$(PY) -m pytest -n 2 -m "not browser"

bench: $(VENV)/.installed
	$(PY) -m benchmarks.run --records $(N) --write-docs

clean:
	rm -rf output .chenglai-state $(VENV) node_modules
