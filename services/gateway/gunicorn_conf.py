"""gunicorn settings for the gateway, from the same LIANYI_GATEWAY_* variables as everything else."""
import os
import shutil

from gunicorn.http import message

from servicekit.config import RuntimeSettings, load_gateway_settings
from services.gateway import heads

_settings = load_gateway_settings()

bind = _settings.http_addr
worker_class = "gthread"
workers = _settings.workers
threads = _settings.threads
graceful_timeout = 10
keepalive = 5
accesslog = None  # request metrics are on the metrics port; access lines would repeat them

# The head's limits, far above the documented bounds the app answers with a problem (heads.py):
# gunicorn answers its own in HTML, before the app, so only absurd requests should meet them.
# gunicorn caps limit_request_line at message.MAX_REQUEST_LINE (8190) whatever is configured, below
# an Open311 list of 1,000 ids (~40 KB); 0 would lift the cap altogether and read a request line of
# any length into memory. So the cap is raised to the limit; it is read per request, in the workers
# this process forks. Were gunicorn to drop the constant, this fails at start, not per request.
if not isinstance(getattr(message, "MAX_REQUEST_LINE", None), int):
    raise RuntimeError("gunicorn.http.message.MAX_REQUEST_LINE is gone: see heads.py for what it was for")
message.MAX_REQUEST_LINE = max(message.MAX_REQUEST_LINE, heads.GUNICORN_REQUEST_LINE_BYTES)
limit_request_line = heads.GUNICORN_REQUEST_LINE_BYTES
limit_request_field_size = heads.GUNICORN_HEADER_FIELD_BYTES
limit_request_fields = heads.GUNICORN_HEADER_FIELDS

# The workers write their metrics to files that the master adds up on the metrics port (even one
# worker: the master serves the scrape). prometheus-client must see the directory before it is
# imported, in the workers (the app is not preloaded) and in the master (when_ready, below).
# PROMETHEUS_MULTIPROC_DIR is prometheus-client's own setting, read by it from the environment.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(RuntimeSettings().var_dir / "prometheus-gateway")


def on_starting(server) -> None:
    # Files from a previous run would be added to this run's counters.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def when_ready(server) -> None:
    # The master's own port, bound before any worker starts: if it is taken, gunicorn stops here.
    # Kept on the arbiter, which the workers' post_fork is handed (their copy of it).
    from services.gateway import metrics_port

    server.lianyi_metrics = metrics_port.start(_settings.metrics_addr, os.environ["PROMETHEUS_MULTIPROC_DIR"])


def post_fork(server, worker) -> None:
    # A fork copies every descriptor, the master's listening metrics socket among them (its
    # serving thread is not copied). A worker holding it would keep 9100 bound after the master
    # died, until the worker went too; it closes its copy, the master's stays open.
    metrics = getattr(server, "lianyi_metrics", None)
    if metrics is not None:
        from services.gateway import metrics_port

        metrics_port.close_inherited(metrics)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
