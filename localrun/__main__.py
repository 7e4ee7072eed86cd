"""`make run`: the whole system on this machine, stopped cleanly with Ctrl-C."""
from __future__ import annotations

import signal
import sys
import threading

from localrun.supervisor import Addresses, LocalSystem
from servicekit.config import RuntimeSettings


def main() -> int:
    settings = RuntimeSettings()
    system = LocalSystem(settings.var_dir, Addresses.from_environment())
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    code = 0
    try:
        print(f"starting lianyi (data in {system.var_dir}, logs in {system.log_dir}) ...", flush=True)
        system.start()
        gateway = f"http://{system.addresses.gateway}"
        print(f"\nlianyi is running.\n  gateway:  {gateway}\n  API:      {gateway}/openapi.json\n"
              f"  metrics:  http://{system.addresses.gateway_metrics}/metrics\n  broker:   {system.addresses.broker}\n"
              f"  sign in:  accounts and an API key are in {system.credentials}\n"
              "Press Ctrl-C to stop.\n", flush=True)
        while not stop.wait(0.5):
            exited = system.exited()
            if exited:
                print(f"stopping: a process exited unexpectedly: {exited}; see {system.log_dir}",
                      file=sys.stderr, flush=True)
                code = 1
                break
    except Exception as exc:
        print(f"lianyi failed to start: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        print("stopping lianyi ...", flush=True)
        system.stop()
        print("stopped.", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
