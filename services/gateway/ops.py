"""Operational endpoints: health, readiness, metrics and the OpenAPI document."""
from __future__ import annotations

import os

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz")
def healthz():
    return Response("ok\n", mimetype="text/plain")


@blueprint.get("/readyz")
def readyz():
    try:
        current_app.extensions["lianyi.upstreams"].check_ready()
    except Exception as exc:  # any upstream failure means not ready, with the reason
        return Response(f"not ready: {type(exc).__name__}\n", status=503, mimetype="text/plain")
    return Response("ready\n", mimetype="text/plain")


@blueprint.get("/metrics")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several gunicorn workers: add up what each wrote to the shared directory.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


@blueprint.get("/openapi.json")
def openapi():
    return jsonify(current_app.extensions["lianyi.openapi"])
