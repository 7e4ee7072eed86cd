"""Where the CPU goes: each process's CPU time (with its children: gunicorn's workers) from
/proc, so the benchmark can say how many milliseconds of CPU each part spends per concern.
On a system without /proc it reports nothing rather than guessing."""
from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")


def available() -> bool:
    return (_PROC / "self" / "stat").exists()


def _stat(pid: int) -> list[str] | None:
    try:
        # The command name (field 2) may hold spaces; everything after its ")" splits cleanly.
        return (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def seconds(pid: int) -> float:
    """User + system CPU seconds of the process and its live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        fields = _stat(current)
        if fields:
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            pending.extend(_children(current))
    return total


def own_seconds() -> float:
    """This process's CPU seconds (the benchmark's clients)."""
    times = os.times()
    return times.user + times.system


def snapshot(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far for each named process, and for the benchmark itself as "bench client"."""
    return {**{name: seconds(pid) for name, pid in pids.items()}, "bench client": own_seconds()}


def per_item_ms(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    return {name: (after[name] - before[name]) * 1000 / count for name in before}
