# Newsdesk: every developer and CI entry point. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# SAM CLI lives in its own virtualenv: its pinned dependencies must not steer the project's.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
# The SAM CLI version every build and deploy uses; changing it reinstalls .venv-sam (its stamp names it).
SAM_CLI_VERSION := 1.170.0
SAM_STAMP := $(SAM_VENV)/.installed-$(SAM_CLI_VERSION)
# sam build needs a Python that matches the Lambda runtime (python3.13).
SAM_PYENV ?= 3.13.0:3.11.7
# SAM CLI would otherwise send usage telemetry to AWS on every lint and build.
export SAM_CLI_TELEMETRY := 0

.PHONY: help install run test test-fast lint format bench build validate clean openapi schemas fuzz load attacks faults reliability

help:
	@echo "make run    - start the whole system locally on moto (API, snapshots, timers, the reference site with a demo newsroom; DEMO=0 without it)"
	@echo "make test   - run the whole test suite (the 10 slowest tests are listed at the end)"
	@echo "make test-fast - the unit tier only (pytest -m unit), in seconds"
	@echo "make lint   - ruff, mypy, cfn-lint and sam validate --lint"
	@echo "make bench  - benchmarks, results in bench/results/"
	@echo "make fuzz   - schemathesis against the local stack, FUZZ_REQUESTS (5000) requests; bench/results/reliability/fuzz.json"
	@echo "make load   - articles and events from concurrent clients on the local stack, then reconcile; LOAD_ARTICLES, LOAD_EVENTS, LOAD_SECONDS; bench/results/reliability/load.json"
	@echo "make attacks - the tests reproducing issue 8's attacks; bench/results/reliability/attacks.json"
	@echo "make faults - hypothesis: a failed AWS call at any step, then the normal retry; bench/results/reliability/faults.json"
	@echo "make reliability - attacks, fuzz, faults and load, then docs/reliability.md"
	@echo "make openapi - regenerate functions/ingest/openapi.json from ingest.contract"
	@echo "make schemas - regenerate the snapshot JSON Schemas (shared/newsdesk/snapshots/schemas/*.json)"
	@echo "make build  - sam build (needs Python 3.13, e.g. via pyenv)"
	@echo "make deploy ENV=dev|prod - sam build, then sam deploy of the built template with samconfig.toml's ENV section"
	@echo "make deploy-check - sam build if stale, sam package to a moto bucket, the translated stack on moto's CloudFormation; bench/results/deploy_check.md"
	@echo "make lock   - resolve pyproject.toml's dependencies afresh into requirements.lock, then the layer's list"
	@echo "make layer-requirements - regenerate shared/requirements.txt (the layer's pins) from requirements.lock"
	@echo "make test-py313 - the unit tier on Python 3.13 (the functions' runtime) in .venv-313"

# requirements.lock pins every package at the version `make lock` resolved: the same set everywhere.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

# After a change of pyproject.toml's dependencies: resolve them afresh in a scratch virtualenv, pin the
# result in requirements.lock, and regenerate the layer's list from it.
.PHONY: lock
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ sed -n '1,3p' requirements.lock; .venv-lock/bin/python -m pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .venv-lock
	$(MAKE) install layer-requirements

install: $(STAMP)

# DEMO=0 starts without the demo newsroom (newsdesk_ops.demo); so does NEWSDESK_NO_DEMO=1.
# FRESH=1 forgets what .newsdesk/state/ kept from the last run (newsdesk_ops.local_state); so does NEWSDESK_LOCAL_FRESH=1.
run: $(STAMP)
	$(if $(filter 0 no false,$(DEMO)),NEWSDESK_NO_DEMO=1 )$(if $(filter 1 yes true,$(FRESH)),NEWSDESK_LOCAL_FRESH=1 )$(BIN)/python -m newsdesk_ops.local_stack

test: $(STAMP) chromium
	$(BIN)/python -m pytest -n 2 --durations=10 tests

# The browser tests (tests/browser/) drive Debian's chromium, never a browser Playwright downloads:
# install it with apt where it is missing (as root, else through sudo).
CHROMIUM := /usr/bin/chromium
.PHONY: chromium
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "$(CHROMIUM) is missing and neither root nor sudo can install it: apt-get install chromium" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "unit" tests

$(SAM): $(SAM_STAMP)

$(SAM_STAMP):
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

# checkov lives in a virtualenv of its own too: it pins dozens of packages (boto3 among them).
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)

$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

# cfn-lint with the serverless rules (cfn-lint-serverless) and checkov must pass, or each skip is
# justified next to its resource in template.yaml (Metadata cfn-lint / checkov).
lint: $(STAMP) $(SAM) $(CHECKOV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/cfn-lint template.yaml --append-rules cfn_lint_serverless.rules
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --quiet --compact --skip-download
	$(SAM) validate --lint --template template.yaml --region eu-west-1

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench

# Concurrent partners and readers on the local stack, bounded in count and time; then every accepted
# article and event must be in the table, the archive and the snapshots (bench/load.py).
load: $(STAMP)
	$(BIN)/python -m bench.load; status=$$?; $(BIN)/python -m bench.reliability render; exit $$status

# Every reproduction of issue 8's 'What broke' list (tests marked attack), then docs/reliability.md.
attacks: $(STAMP)
	$(BIN)/python -m bench.reliability attacks

# Generated requests from the served OpenAPI document against the local stack (tests/fuzz/).
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz; status=$$?; $(BIN)/python -m bench.reliability render; exit $$status

# The API contract is generated once and committed; a test fails while it is stale.
openapi: $(STAMP)
	$(BIN)/python -m ingest.contract

# The snapshot schemas likewise: generated from the models with pydantic, committed, read at runtime.
schemas: $(STAMP)
	$(BIN)/python -m newsdesk.snapshots.schemas

# Fault property tests (tests/faults/) with the long hypothesis profile: one AWS call fails, the
# caller retries, the state must equal the fault-free run's. Figures: bench/results/reliability/faults.json.
.PHONY: faults
faults: $(STAMP)
	HYPOTHESIS_PROFILE=faults-long FAULTS_REPORT=1 FAULTS_COMMAND="make faults" $(BIN)/python -m pytest -p no:cacheprovider tests/faults; \
	status=$$?; $(BIN)/python -m bench.reliability render; exit $$status

# The four proofs of issue 8, one after the other; docs/reliability.md shows the last run of each.
reliability: attacks fuzz faults load

build: $(SAM)
	PYENV_VERSION=$(SAM_PYENV) $(SAM) build --template template.yaml

# Deploys the BUILT template to the environment ENV names in samconfig.toml (dev, prod). The raw
# template cannot be deployed (its layer has no content until sam build: docs/operations.md).
# --config-file is absolute: sam reads a relative one next to the built template.
ENV ?= dev
.PHONY: deploy deploy-check layer-requirements test-py313
deploy: build
	@grep -q '^\[$(ENV)\.deploy\.parameters\]' samconfig.toml || { echo "samconfig.toml has no '$(ENV)' environment" >&2; exit 1; }
	$(SAM) deploy --template-file .aws-sam/build/template.yaml --config-file $(CURDIR)/samconfig.toml --config-env $(ENV)

# Issue 10 on a fresh clone, without AWS: `make build` when the build is missing or older than
# template.yaml, sam package of the built template to a moto bucket, the SAM transform, then the stack
# on moto's CloudFormation with samconfig.toml's ENV parameters (newsdesk_ops.deploy_check).
deploy-check: $(STAMP) $(SAM)
	$(BIN)/python -m newsdesk_ops.deploy_check --env $(ENV)

# shared/requirements.txt (the layer's dependencies) is generated from pyproject.toml and the versions
# installed in .venv (the lock); tests/test_deploy.py fails while it is stale.
layer-requirements: $(STAMP)
	$(BIN)/python -m newsdesk_ops.layer_requirements

# The unit tier on Python 3.13, the functions' runtime (.venv-313, from pyenv's 3.13.0).
PY313 ?= $(HOME)/.pyenv/versions/3.13.0/bin/python
VENV_313 := .venv-313
# Constrained to the versions installed in .venv (the lock), so both Pythons test the same packages.
$(VENV_313)/.installed: pyproject.toml requirements.lock
	test -x $(VENV_313)/bin/python || $(PY313) -m venv $(VENV_313)
	$(VENV_313)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_313)/bin/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

test-py313: $(VENV_313)/.installed
	$(VENV_313)/bin/python -m pytest -p no:cacheprovider -m unit tests

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) $(VENV_313) .aws-sam .pytest_cache .mypy_cache .ruff_cache
