# jianli-helpdesk: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
# Python 3.10 (Rasa 3.6 needs it): pyenv's 3.10.x if present, else a python3.10 that runs.
PYTHON310 ?= $(shell for p in $$(ls -d $(HOME)/.pyenv/versions/3.10.*/bin/python3.10 2>/dev/null | sort -V -r) $$(command -v python3.10); do \
                "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null && { echo "$$p"; break; }; done)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: install train run test bench lock nlu-assets clean

install: $(STAMP)

$(STAMP): requirements.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is needed (pyenv install 3.10.13)"; exit 1; }
	@test -x $(PY) || $(PYTHON310) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check pip==24.0
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

train: install
	$(PY) -m bot train

run: train
	$(PY) -m bot run

test: train
	$(VENV)/bin/ruff check bot actions
	$(VENV)/bin/rasa data validate --quiet
	$(PY) -m pytest

bench: train
	$(PY) -m bench.run
	$(PY) -m bench.core

nlu-assets: install
	$(PY) -m bot nlu-assets

# Re-pin requirements.txt from requirements.in in a throwaway venv.
lock:
	rm -rf .lockenv && $(PYTHON310) -m venv .lockenv
	.lockenv/bin/pip install --quiet pip==24.0 && .lockenv/bin/pip install -r requirements.in
	{ echo "# Generated from requirements.in by \`make lock\` (pip freeze of a fresh Python 3.10 venv)."; \
	  echo "# Install with: pip install -r requirements.txt (one resolution, every version pinned)."; \
	  .lockenv/bin/pip freeze; } > requirements.txt
	rm -rf .lockenv

clean:
	rm -rf models .pytest_cache
