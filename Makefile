# Queueable's entry points. Every target bootstraps what it needs (the virtualenv at
# .venv, Python packages, redis-server, the Go-built control plane) and is quick when
# everything is already there.
#
#   make demo          the main job on an embedded default: local control plane, Redis, a job
#   make test          the whole suite (lint included) - what CI runs
#   make cluster-up    start (or reuse) the local control plane; make cluster-down stops it
#   make bench         the benchmarks in bench/

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export QUEUEABLE_CACHE ?= $(HOME)/.cache/queueable

.PHONY: demo test lint unit cluster-up cluster-down cluster-status binaries system-deps \
        venv bench crds clean

$(STAMP): pyproject.toml cluster/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[operator,dev]' -e ./cluster
	touch $(STAMP)

venv: $(STAMP)

# Debian's redis-server; the tests and the demo start their own instances of it.
system-deps:
	@command -v redis-server >/dev/null || { \
	  echo "installing redis-server (Debian package)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@command -v go >/dev/null || { echo "Go is required to build the control plane: install golang"; exit 1; }

binaries:
	bash cluster/gobuild/build.sh

cluster-up: $(STAMP) system-deps
	$(PY) -m localcluster up

cluster-down: $(STAMP)
	$(PY) -m localcluster down

cluster-status: $(STAMP)
	$(PY) -m localcluster status

crds: $(STAMP)
	$(PY) -m queueable.crdgen

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit -q

test: $(STAMP) system-deps binaries lint
	$(VENV)/bin/pytest

demo: cluster-up
	$(PY) examples/demo.py

bench: $(STAMP) system-deps binaries
	$(PY) -m bench

clean: cluster-down
	rm -rf .cluster
