# Thin task runner: each target is one command; README and CI call these targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
include toolchain.env

PYTHON ?= python3
VENV := .venv
RUN := $(VENV)/bin/kuberay-gitops
# A pull request's checkout to judge with this checkout's tool and policy (the PR gate:
# `make -C base validate PR=../pr`); unset, the repository judges itself.
PR ?=
PR_ARGS := $(if $(PR),--repo '$(PR)' --policy-from '$(CURDIR)')
# Extra arguments for `make validate`, e.g. VALIDATE_ARGS="--format json".
VALIDATE_ARGS ?=

# Base for `make diff` and `make affected` (the PR workflow passes the target branch).
BASE ?= origin/main
# Extra arguments for `make affected`, e.g. AFFECTED_ARGS="--format github-matrix".
AFFECTED_ARGS ?=
# `make summary`: the directory of the fanned-out jobs' JSON reports, how many jobs there
# were (fewer reports fail), and a file to append the markdown to (else stdout).
REPORTS ?= reports
EXPECT ?=
SUMMARY ?=

.PHONY: setup tools twin ray validate test lint docs diff affected summary bench mutation mutmut audit-ports clean

# Where the read-only upstream material is (the KubeRay operator source among it).
SHARED_DIR ?= ../shared

## setup: idempotent; a pinned .venv, pinned kustomize + kubeconform, and the control-plane
## twin (etcd, kube-apiserver, the KubeRay operator) built from pinned sources, in .tools/bin
## (tools_dir of kuberay-gitops.yaml), by the tool's own `kuberay-gitops setup`
setup: $(VENV)/.installed tools twin ray
	@# Byte-compiled as pip compiles an installed wheel: the editable install would otherwise
	@# compile every module at each start under PYTHONDONTWRITEBYTECODE (0.1 s a run).
	@$(VENV)/bin/python -m compileall -q scripts/kuberay_gitops

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

tools: $(VENV)/.installed
	@$(RUN) setup --quiet --no-cluster
	@./scripts/fetch-npm-file.sh $(SARIF_SCHEMA_NPM) $(SARIF_SCHEMA_FILE) $(SARIF_SCHEMA_SHA256) .tools/schemas/sarif-2.1.0.json

## twin: etcd, kube-apiserver and the KubeRay operator for the cluster stage of validate
twin: $(VENV)/.installed
	@./scripts/check-pins.sh toolchain.env toolchain $(SHARED_DIR)/$(KUBERAY_OPERATOR_SOURCE)
	@$(RUN) setup --quiet --operator-source '$(SHARED_DIR)/$(KUBERAY_OPERATOR_SOURCE)'

# The live Ray audit's own venv, at the Ray version of the images (toolchain/ray/requirements.txt).
RAY_VERSION := $(shell sed -n 's/^ray==//p' toolchain/ray/requirements.txt)
RAY_VENV := .tools/ray/$(RAY_VERSION)

## ray: the pinned Ray venv of the live port audit (never the tool's .venv); a no-op once made
ray: $(RAY_VENV)/.installed

$(RAY_VENV)/.installed: toolchain/ray/requirements.txt
	rm -rf $(RAY_VENV) && $(PYTHON) -m venv $(RAY_VENV) && $(RAY_VENV)/bin/pip install --quiet --disable-pip-version-check -r $< && touch $@

## validate: the main job, the whole repository
validate: setup
	$(RUN) $(PR_ARGS) validate $(VALIDATE_ARGS)

## test: the test suite (what .ci/run runs)
test: setup
	$(VENV)/bin/pytest

## lint: ruff, mypy --strict, yamllint
lint: setup
	$(VENV)/bin/ruff check scripts tests && $(VENV)/bin/ruff format --check scripts tests && $(VENV)/bin/mypy && $(VENV)/bin/yamllint --strict -c .yamllint .

## docs: regenerate docs/checks.md from the check registry and the layer table of
## docs/architecture.md from the import graph
docs: setup
	$(RUN) list-checks --format markdown > docs/checks.md && $(VENV)/bin/python -m kuberay_gitops_dev.layers --write docs/architecture.md

## diff: rendered, per-object diff against BASE as markdown (the PR job summary)
diff: setup
	$(RUN) $(PR_ARGS) diff --base $(BASE) --format markdown

## affected: the render targets a change since BASE can affect; with AFFECTED_ARGS="--format
## github-matrix --github-output" the PR workflow's plan (one job per environment or one job)
affected: setup
	$(RUN) $(PR_ARGS) affected --base $(BASE) $(AFFECTED_ARGS)

## summary: the fanned-out PR jobs' JSON reports (REPORTS) merged into one markdown summary
## and one verdict (exit 1 on a finding, or fewer than EXPECT reports)
summary: $(VENV)/.installed
	$(RUN) merge-reports $(if $(EXPECT),--expect '$(EXPECT)') '$(REPORTS)' $(if $(SUMMARY),>> '$(SUMMARY)')

## bench: performance figures into docs/performance.md's generated blocks (never part of test;
## a development tool, not in the wheel)
bench: setup
	$(VENV)/bin/python -m kuberay_gitops_dev.bench --update-doc docs/performance.md

## audit-ports: start the real Ray of every cluster and audit its ports; regenerates docs/ports.md's table
audit-ports: setup
	$(RUN) audit-ports --update-doc docs/ports.md

## mutation: self-test; every catalogued defect must be caught by its check (never part of test;
## a development tool, not in the wheel)
mutation: setup
	$(VENV)/bin/python -m kuberay_gitops_dev.mutation

# `make mutmut` time box in seconds, and the check modules to run (default: all of them).
MUTMUT_TIMEOUT ?= 3600
MUTMUT_ONLY ?=
# mutmut keeps its state in its workspace: one per concurrent run.
MUTMUT_WORKSPACE ?= .mutmut

## mutmut: mutmut over the check modules with the check unit tests; per-module kill rate
## into docs/mutation.md, exit 1 below 90 % (never part of test; time-boxed, docs/mutation.md)
mutmut: $(VENV)/.mutmut-installed tools
	KUBERAY_GITOPS_SHARED_DIR='$(abspath $(SHARED_DIR))' $(VENV)/bin/python -m kuberay_gitops_dev.mutscore --run --timeout $(MUTMUT_TIMEOUT) --workspace $(MUTMUT_WORKSPACE) $(if $(MUTMUT_ONLY),--only $(MUTMUT_ONLY)) --write docs/mutation.md

$(VENV)/.mutmut-installed: requirements-mutmut.txt $(VENV)/.installed
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-mutmut.txt && touch $@

clean:
	rm -rf $(VENV) .tools .cache .mutmut .mutmut-*
