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
accesslog = None  # request metrics are in /metrics; access lines would repeat them

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

# Several workers share /metrics through files; prometheus-client must see the directory before
# it is imported, which happens in the workers (the app is not preloaded). PROMETHEUS_MULTIPROC_DIR
# is prometheus-client's own setting, read by it from the environment.
if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(RuntimeSettings().var_dir / "prometheus-gateway")


def on_starting(server) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        # Files from a previous run would be added to this run's counters.
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
