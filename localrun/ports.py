"""Before the local run starts anything: are its ports free, and if not, what holds them?

A port is taken when binding it the way our servers do (SO_REUSEADDR) fails. The holder is
found in the kernel's socket tables (/proc/net/tcp, tcp6) and its socket inode matched against
every process's open files (/proc/<pid>/fd). An outgoing connection holds its local port too,
also for about a minute after it closed (TIME-WAIT, no process left), which is why our default
ports lie below the kernel's ephemeral range.
"""
from __future__ import annotations

import contextlib
import ipaddress
import os
import pwd
import socket
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_STATES = {"01": "ESTABLISHED", "02": "SYN-SENT", "03": "SYN-RECV", "04": "FIN-WAIT-1", "05": "FIN-WAIT-2",
           "06": "TIME-WAIT", "07": "CLOSE", "08": "CLOSE-WAIT", "09": "LAST-ACK", "0A": "LISTEN", "0B": "CLOSING"}
_COMMAND_CHARS = 120
_HOLDERS_SHOWN = 3
_UNSEEN = "something that cannot be identified from here (it is in no socket table this user can read)"


@dataclass(frozen=True)
class Wanted:
    """An address the local run will listen on: what listens there, and the variable that moves it."""

    address: str  # host:port
    purpose: str  # e.g. "evaluation gRPC"
    variable: str  # e.g. "LIANYI_EVALUATION_GRPC_ADDR"


class PortsInUse(RuntimeError):
    """Ports the local run needs are taken; the message says by what, one line each."""


@dataclass(frozen=True)
class _Socket:
    local: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]
    remote: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]
    state: str
    uid: int
    inode: int


def ensure_free(wanted: Sequence[Wanted], proc: Path = PROC) -> None:
    """Raise PortsInUse naming every wanted port that is taken and what holds it."""
    problems = conflicts(wanted, proc)
    if problems:
        raise PortsInUse("ports it needs are taken:\n  " + "\n  ".join(problems))


def conflicts(wanted: Sequence[Wanted], proc: Path = PROC) -> list[str]:
    """One sentence per wanted address that cannot be bound (or is wanted twice), naming the holder."""
    problems = _wanted_twice(wanted)
    for want in wanted:
        host, port = _split(want.address)
        try:
            family, sockaddr = _resolve(host, port)
        except OSError as exc:
            problems.append(f"{want.address} ({want.purpose}) cannot be resolved ({exc}); set {want.variable}")
            continue
        if _can_bind(family, sockaddr):
            continue
        ip = ipaddress.ip_address(sockaddr[0])
        held_by = holders(ip, port, proc)
        advice = "wait a minute" if held_by and all("TIME-WAIT" in h for h in held_by) else "stop it"
        if len(held_by) > _HOLDERS_SHOWN:
            held_by = [*held_by[:_HOLDERS_SHOWN], f"{len(held_by) - _HOLDERS_SHOWN} more"]
        problems.append(f"port {port} ({want.purpose}) is in use by {' and by '.join(held_by) or _UNSEEN}"
                        f"; {advice} or set {want.variable}{_ephemeral_note(port, proc)}")
    return problems


def holders(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int, proc: Path = PROC) -> list[str]:
    """Who holds `port` on an address overlapping `ip`: processes (pid and command line), or why not."""
    found = [s for s in _sockets(proc) if s.local[1] == port and _overlap(s.local[0], ip)]
    if any(s.state == "LISTEN" for s in found):
        # Connections not yet accepted (no inode) are part of the listener, not holders of their own.
        found = [s for s in found if s.inode]
    owners = _owners({s.inode for s in found if s.inode}, proc)
    described: list[str] = []
    for sock in found:
        what = "listening" if sock.state == "LISTEN" else f"its connection to {_show(sock.remote)}, {sock.state}"
        if sock.inode in owners:
            text = _processes(owners[sock.inode], proc) + f", {what})"
        elif sock.inode:
            text = f"a process of {_user(sock.uid)} that this user cannot inspect ({what})"
        elif sock.state == "TIME-WAIT":
            text = (f"a closed connection from {_show(sock.local)} to {_show(sock.remote)} in TIME-WAIT, which "
                    "the kernel keeps for about a minute (no process holds it)")
        else:
            text = (f"a connection from {_show(sock.local)} to {_show(sock.remote)}, {sock.state}, that no "
                    "process holds any more (the kernel closes it shortly)")
        if text not in described:
            described.append(text)
    return described


def _wanted_twice(wanted: Sequence[Wanted]) -> list[str]:
    problems = []
    for i, first in enumerate(wanted):
        for second in wanted[i + 1:]:
            (host1, port1), (host2, port2) = _split(first.address), _split(second.address)
            if port1 == port2 and (host1 == host2 or _unspecified(host1) or _unspecified(host2)):
                problems.append(f"port {port1} is wanted by both {first.purpose} ({first.variable}) and "
                                f"{second.purpose} ({second.variable}); set one of them to another port")
    return problems


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def _unspecified(host: str) -> bool:
    return host in ("", "0.0.0.0", "::")


def _resolve(host: str, port: int) -> tuple[int, tuple]:
    family, _, _, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return family, sockaddr


def _can_bind(family: int, sockaddr: tuple) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC, gunicorn and Tansu do
        try:
            probe.bind(sockaddr)
        except OSError:
            return False
    return True


def _sockets(proc: Path) -> Iterable[_Socket]:
    for table in ("tcp", "tcp6"):
        try:
            lines = (proc / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            yield _Socket(local=_endpoint(fields[1]), remote=_endpoint(fields[2]),
                          state=_STATES.get(fields[3], fields[3]), uid=int(fields[7]), inode=int(fields[9]))


def _endpoint(text: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """`0100007F:2406` -> (127.0.0.1, 9222): the kernel prints each 32-bit word in host byte order."""
    address, port = text.split(":")
    words = [bytes.fromhex(address[i:i + 8]) for i in range(0, len(address), 8)]
    raw = b"".join(w[::-1] if sys.byteorder == "little" else w for w in words)
    ip = ipaddress.ip_address(raw)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip, int(port, 16)


def _overlap(held: ipaddress.IPv4Address | ipaddress.IPv6Address,
             wanted: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(wanted, ipaddress.IPv6Address) and wanted.ipv4_mapped:
        wanted = wanted.ipv4_mapped
    return held == wanted or held.is_unspecified or wanted.is_unspecified


def _owners(inodes: set[int], proc: Path) -> dict[int, list[int]]:
    """Socket inode -> pids with it open, among the processes this user may look into."""
    owners: dict[int, list[int]] = {}
    if not inodes:
        return owners
    links = {f"socket:[{inode}]": inode for inode in inodes}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                inode = links.get(os.readlink(fd))
                if inode is not None and int(entry.name) not in owners.setdefault(inode, []):
                    owners[inode].append(int(entry.name))
        except OSError:
            continue  # gone, or another user's
    return owners


def _processes(pids: list[int], proc: Path) -> str:
    """`pid 4242 (python -m localrun, in /home/me/lianyi` (the caller closes the parenthesis)."""
    pids = sorted(pids)
    try:
        argv = (proc / str(pids[0]) / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        command = " ".join([os.path.basename(argv[0].decode(errors="replace"))]
                           + [a.decode(errors="replace") for a in argv[1:]])
    except (OSError, IndexError):
        command = "command line unreadable"
    if len(command) > _COMMAND_CHARS:
        command = command[:_COMMAND_CHARS - 1] + "…"
    with contextlib.suppress(OSError):
        command += f", in {os.readlink(proc / str(pids[0]) / 'cwd')}"
    label = "pid" if len(pids) == 1 else "pids"
    return f"{label} {', '.join(map(str, pids))} ({command}"


def _user(uid: int) -> str:
    try:
        return f"user {pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def _show(endpoint: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]) -> str:
    ip, port = endpoint
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def _ephemeral_note(port: int, proc: Path) -> str:
    try:
        low, high = map(int, (proc / "sys" / "net" / "ipv4" / "ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        return ""
    if not low <= port <= high:
        return ""
    return (f" (port {port} lies in this machine's ephemeral range {low}-{high}, where outgoing connections "
            f"take their local ports: choose one below {low})")
