# inrkit developer targets. Every target is idempotent: the venv is (re)built only when
# pyproject.toml changes. CUDA users: override TORCH_SPEC and TORCH_PIP_ARGS, e.g.
#   make test TORCH_SPEC="torch==2.13.0" TORCH_PIP_ARGS="--index-url <your CUDA wheel index>"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
PY := $(VENV)/bin/python
STAMP := $(VENV)/.inrkit-installed

.PHONY: venv test demo lint bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH_SPEC)" $(TORCH_PIP_ARGS)
	$(PY) -m pip install -q -e ".[test]"
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

# pyright reads its settings (basic mode over src/, the venv at .venv) from pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/pyright -p pyproject.toml

demo: $(STAMP)
	$(PY) -m inrkit demo --overwrite

bench: $(STAMP)
	$(PY) benchmarks/liif_speed.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
