"""gunicorn settings for the gateway, from the same LIANYI_GATEWAY_* variables as everything else."""
import os
import shutil

from servicekit.config import RuntimeSettings, load_gateway_settings

_settings = load_gateway_settings()

bind = _settings.http_addr
worker_class = "gthread"
workers = _settings.workers
threads = _settings.threads
graceful_timeout = 10
keepalive = 5
accesslog = None  # request metrics are in /metrics; access lines would repeat them

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
