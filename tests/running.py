"""A background loop of the runtime (relay, consumer, timer runner, settings listener) on its own
thread for the length of a `with` block: stopped, and joined, on exit."""
from __future__ import annotations

import threading


class Running:
    def __init__(self, target, stop_within_s: float = 30):
        self.stop = threading.Event()
        self.thread = threading.Thread(target=target, args=(self.stop,))
        self.stop_within_s = stop_within_s

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(self.stop_within_s)
        assert not self.thread.is_alive(), f"did not stop within {self.stop_within_s:g}s"
