"""The gateway's Prometheus scrape, on a port of its own: the public port never serves it, so an
ingress or a client cannot read request counts and routes. gunicorn's master process serves it
(gunicorn_conf.py), adding up the files its workers write to PROMETHEUS_MULTIPROC_DIR; it is
there, and counts, whichever workers come and go."""
from __future__ import annotations

from prometheus_client import CollectorRegistry, multiprocess

from servicekit.health_http import HealthServer


def start(address: str, directory: str) -> HealthServer:
    """Serve /metrics (the workers' sum) and /healthz (the master runs) on `address`."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    server = HealthServer(address, {}, registry=registry)
    server.start()
    return server


def close_inherited(server: HealthServer) -> None:
    """In a process forked from the one serving: close this process's copy of the listening
    socket (only the descriptor: the server's thread runs in the parent alone, so nothing here
    may wait for it)."""
    server.httpd.socket.close()
