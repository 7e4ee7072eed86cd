"""Calls spread over a service's replicas: clients balance round-robin over every address the
service's name resolves to, and servers close connections after a maximum age so that clients
resolve again and reach replicas added since. Real gRPC servers on loopback."""
from __future__ import annotations

import time

import grpc
import pytest

from localrun import processes
from servicekit.grpc_client import open_channel, target
from servicekit.grpc_server import GrpcServer

KEY = "k" * 40
# Not a lianyi RPC (those must declare who may call them): answers which server it is and from
# which client address (a new connection, a new port) the call came.
WHO = "/lianyitest.Who/Am"


def _serve(name: str, **options) -> tuple[GrpcServer, int]:
    port = processes.free_port()
    server = GrpcServer(f"127.0.0.1:{port}", [], KEY, **options)
    who = grpc.unary_unary_rpc_method_handler(lambda _request, context: f"{name} {context.peer()}".encode())
    server.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("lianyitest.Who", {"Am": who})])
    server.start()
    return server, port


@pytest.fixture
def serve():
    started = []

    def start(name: str, **options) -> int:
        server, port = _serve(name, **options)
        started.append(server)
        return port

    yield start
    for server in started:
        server.stop(0)


def _ask(channel: grpc.Channel) -> tuple[str, str]:
    """(server name, client address) of one call."""
    name, peer = channel.unary_unary(WHO)(b"", timeout=5).decode().split(" ", 1)
    return name, peer


def test_a_services_channel_spreads_calls_over_every_address_while_pick_first_would_not(serve):
    first, second = serve("first"), serve("second")
    # Two replicas behind one name, as a headless Service's DNS answer gives them; DNS cannot
    # return two loopback servers portably, so the addresses are given to gRPC's ipv4 resolver.
    both = f"ipv4:127.0.0.1:{first},127.0.0.1:{second}"
    with open_channel(both, None) as channel:
        # Until the second connection is up (it connects beside the first), calls take the first.
        answered = set()
        for _ in range(400):
            answered.add(_ask(channel)[0])
            if len(answered) == 2:
                break
        assert answered == {"first", "second"}
        # Then call by call, in turn.
        turns = [_ask(channel)[0] for _ in range(20)]
        assert turns.count("first") == turns.count("second") == 10
    # The contrast: gRPC's default policy sends every call down the first connection.
    with grpc.insecure_channel(both) as channel:
        assert len({_ask(channel)[0] for _ in range(100)}) == 1


def test_service_addresses_are_resolved_through_dns_for_every_replica():
    assert target("intake:50051") == "dns:///intake:50051"  # the headless Service in Kubernetes
    assert target("127.0.0.1:9201") == "dns:///127.0.0.1:9201"  # the local run
    assert target("ipv4:127.0.0.1:1,127.0.0.1:2") == "ipv4:127.0.0.1:1,127.0.0.1:2"


def test_a_server_closes_connections_after_their_maximum_age_and_calls_keep_succeeding(serve):
    port = serve("aged", max_connection_age_s=0.4, max_connection_age_grace_s=0.2)
    peers = []
    with open_channel(f"127.0.0.1:{port}", None) as channel:
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            peers.append(_ask(channel)[1])  # raises if a call fails
            time.sleep(0.02)
    # Each new connection comes from a new client port: the server closed the old ones.
    assert len(set(peers)) >= 3, sorted(set(peers))
    assert len(peers) > 20


def test_without_a_maximum_age_a_connection_lasts(serve):
    port = serve("ageless")
    with open_channel(f"127.0.0.1:{port}", None) as channel:
        deadline = time.monotonic() + 1.5
        peers = set()
        while time.monotonic() < deadline:
            peers.add(_ask(channel)[1])
            time.sleep(0.02)
    assert len(peers) == 1
