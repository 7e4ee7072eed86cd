"""When a port the local run needs is taken, it says which port, which of our processes wanted it and
what holds it (from the kernel's socket tables and /proc), before it starts anything."""
from __future__ import annotations

import ipaddress
import os
import pwd
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from localrun import ports, processes
from localrun.supervisor import Addresses, LocalSystem

VARIABLE = "LIANYI_EVALUATION_GRPC_ADDR"
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def _evaluation_grpc(port: int) -> ports.Wanted:
    return ports.Wanted(f"127.0.0.1:{port}", "evaluation gRPC", VARIABLE)


def _this_process() -> str:
    """How the messages name this test process: pid and the start of its command line."""
    return f"pid {os.getpid()} ({os.path.basename(sys.orig_argv[0])} {' '.join(sys.orig_argv[1:])}"[:60]


@pytest.fixture
def listener():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", processes.free_port()))
        sock.listen()
        yield sock


def test_every_default_port_of_the_local_run_lies_below_the_ephemeral_range():
    # Linux hands out 32768-60999 to outgoing connections unless told otherwise.
    assert [w.address for w in Addresses().wanted() if int(w.address.rsplit(":", 1)[1]) >= 32768] == []


def test_a_free_port_is_no_problem():
    assert ports.conflicts([_evaluation_grpc(processes.free_port())]) == []


def test_a_listening_port_is_named_with_the_process_holding_it_and_the_variable_that_moves_ours(listener):
    port = listener.getsockname()[1]
    [problem] = ports.conflicts([_evaluation_grpc(port)])
    assert problem.startswith(f"port {port} (evaluation gRPC) is in use by {_this_process()}"), problem
    assert f", in {os.getcwd()}, listening); stop it or set {VARIABLE}" in problem


def test_an_outgoing_connection_holds_its_local_port_and_is_named_with_where_it_goes(listener):
    with socket.create_connection(listener.getsockname()) as outgoing:
        port = outgoing.getsockname()[1]
        [problem] = ports.conflicts([_evaluation_grpc(port)])
    # Other connections (of other processes, to other places) may share a kernel-chosen local port:
    # ours must be among the holders named, wherever in the list.
    assert problem.startswith(f"port {port} (evaluation gRPC) is in use by "), problem
    assert _this_process() in problem, problem
    assert f"its connection to 127.0.0.1:{listener.getsockname()[1]}, ESTABLISHED)" in problem
    # The kernel chose that port, so it lies in the range where our defaults must not be.
    assert "ephemeral range" in problem


def test_a_connection_closed_a_moment_ago_still_holds_its_port_though_no_process_does(listener):
    outgoing = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    port = outgoing.getsockname()[1]
    outgoing.close()  # the side that closes first keeps the port in TIME-WAIT for a minute
    assert accepted.recv(1) == b""
    accepted.close()
    deadline = time.monotonic() + 5
    while "TIME-WAIT" not in " ".join(ports.holders(LOOPBACK, port)):
        assert time.monotonic() < deadline, ports.holders(LOOPBACK, port)
        time.sleep(0.01)
    [problem] = ports.conflicts([_evaluation_grpc(port)])
    # As above, other connections may hold the same local port too: ours is among them.
    assert problem.startswith(f"port {port} (evaluation gRPC) is in use by "), problem
    assert (f"a closed connection from 127.0.0.1:{port} to 127.0.0.1:{listener.getsockname()[1]} in TIME-WAIT, "
            "which the kernel keeps for about a minute (no process holds it)") in problem, problem
    if "pid " not in problem:  # only closed connections hold it: waiting is the advice
        assert f"; wait a minute or set {VARIABLE}" in problem, problem


def test_one_port_wanted_twice_is_reported():
    port = processes.free_port()
    gateway = ports.Wanted(f"0.0.0.0:{port}", "gateway HTTP", "LIANYI_GATEWAY_HTTP_ADDR")
    assert ports.conflicts([_evaluation_grpc(port), gateway]) == [
        f"port {port} is wanted by both evaluation gRPC ({VARIABLE}) and gateway HTTP (LIANYI_GATEWAY_HTTP_ADDR); "
        "set one of them to another port"]


def test_a_holder_this_user_cannot_inspect_is_named_by_its_user(tmp_path):
    # A /proc where the listening socket (IPv4-mapped, in tcp6) belongs to no process we can see.
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "tcp6").write_text(
        "  sl  local_address                         remote_address                        st tx_queue rx_queue "
        "tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 0000000000000000FFFF00000100007F:23F4 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000 4242        0 777 1 0000000000000000 100 0 0 10 0\n")
    (tmp_path / "123" / "fd").mkdir(parents=True)
    (tmp_path / "123" / "fd" / "3").symlink_to("socket:[778]")
    try:
        user = f"user {pwd.getpwuid(4242).pw_name} (uid 4242)"
    except KeyError:
        user = "uid 4242"
    assert ports.holders(LOOPBACK, 0x23F4, proc=tmp_path) == [
        f"a process of {user} that this user cannot inspect (listening)"]


def test_the_local_run_names_a_taken_port_before_starting_anything(tmp_path, listener):
    port = listener.getsockname()[1]
    addresses = Addresses.free()
    addresses.grpc["evaluation"] = f"127.0.0.1:{port}"
    system = LocalSystem(tmp_path / "var", addresses)
    with pytest.raises(ports.PortsInUse) as refused:
        system.start()
    assert f"port {port} (evaluation gRPC) is in use by {_this_process()}" in str(refused.value)
    assert (system.broker, system.children) == (None, {})
    assert not (tmp_path / "var").exists(), "nothing may have been started or written"


def test_make_run_says_which_port_is_taken_and_by_what_and_starts_nothing(tmp_path, listener):
    port = listener.getsockname()[1]
    addresses = Addresses.free()
    env = {**os.environ, "LIANYI_VAR_DIR": str(tmp_path / "var"), "LIANYI_BROKER": addresses.broker,
           "LIANYI_GATEWAY_HTTP_ADDR": addresses.gateway}
    for name in addresses.grpc:
        env[f"LIANYI_{name.upper()}_GRPC_ADDR"] = addresses.grpc[name]
        env[f"LIANYI_{name.upper()}_HTTP_ADDR"] = addresses.http[name]
    env[VARIABLE] = f"127.0.0.1:{port}"
    launcher = subprocess.run([sys.executable, "-m", "localrun"], env=env, capture_output=True, text=True,
                              timeout=60, cwd=Path(__file__).parents[2])
    assert launcher.returncode == 1
    assert f"port {port} (evaluation gRPC) is in use by {_this_process()}" in launcher.stderr, launcher.stderr
    assert f"stop it or set {VARIABLE}" in launcher.stderr
    assert not (tmp_path / "var" / "log" / "broker.log").exists()


def test_each_test_worker_hands_out_ports_from_its_own_share(monkeypatch):
    """Two pytest-xdist workers each keep their own record of ports handed out: their shares of
    the range must not overlap, or both could hand out one port before either binds it."""
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    shares = []
    for worker in ("gw0", "gw1"):
        monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
        shares.append(set(processes._ports()))
        assert processes.free_port() in shares[-1]
    assert shares[0] and shares[1] and not shares[0] & shares[1]
