# Thin task runner: each target is one command; README and CI call these targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
include toolchain.env

PYTHON ?= python3
VENV := .venv
BIN := .tools/bin
RUN := $(VENV)/bin/kuberay-gitops
# Extra arguments for `make validate`, e.g. VALIDATE_ARGS="--format json".
VALIDATE_ARGS ?=

# Base for `make diff` (the PR workflow passes the target branch).
BASE ?= origin/main

.PHONY: setup tools validate test lint docs diff bench mutation clean

## setup: idempotent; a pinned .venv and pinned kustomize + kubeconform in .tools/bin
setup: $(VENV)/.installed tools

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

tools:
	@./scripts/install-go-tool.sh $(BIN) kustomize $(KUSTOMIZE_MODULE) $(KUSTOMIZE_VERSION)
	@./scripts/install-go-tool.sh $(BIN) kubeconform $(KUBECONFORM_MODULE) $(KUBECONFORM_VERSION)
	@./scripts/fetch-npm-file.sh $(SARIF_SCHEMA_NPM) $(SARIF_SCHEMA_FILE) $(SARIF_SCHEMA_SHA256) .tools/schemas/sarif-2.1.0.json

## validate: the main job, the whole repository
validate: setup
	$(RUN) validate $(VALIDATE_ARGS)

## test: the test suite (what .ci/run runs)
test: setup
	$(VENV)/bin/pytest

## lint: ruff, mypy --strict, yamllint
lint: setup
	$(VENV)/bin/ruff check scripts tests && $(VENV)/bin/ruff format --check scripts tests && $(VENV)/bin/mypy && $(VENV)/bin/yamllint --strict -c .yamllint .

## docs: regenerate docs/checks.md from the check registry
docs: setup
	$(RUN) list-checks --format markdown > docs/checks.md

## diff: rendered, per-object diff against BASE as markdown (the PR job summary)
diff: setup
	$(RUN) diff --base $(BASE) --format markdown

## bench: performance figures (never part of test)
bench: setup
	$(VENV)/bin/python -m kuberay_gitops.bench

## mutation: self-test; every catalogued defect must be caught by its check (never part of test)
mutation: setup
	$(VENV)/bin/python -m kuberay_gitops.mutation

clean:
	rm -rf $(VENV) .tools .cache
