"""Channels to lianyi's gRPC services: resolved through DNS and balanced over every address the
name returns, over TLS when it is configured.

In Kubernetes a domain service's Service is headless, so its name resolves to the address of
every ready replica, and `round_robin` keeps a connection to each and spreads calls over them
(the default, `pick_first`, would send every call down one connection to one replica). Servers
close connections after a maximum age (servicekit.grpc_server), so the name is resolved again
and replicas added since get their share. In the local run the address is 127.0.0.1:<port>,
which the same resolver returns as it is.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import grpc

from servicekit.grpc_tls import GrpcTls
from servicekit.reloading_channel import ReloadingChannel

# Targets that already name their resolver (gRPC's naming: scheme:...) are dialled as given.
_SCHEMES = ("dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:")


def target(address: str) -> str:
    """The channel target for a service address (host:port): DNS, which yields every replica."""
    return address if address.startswith(_SCHEMES) else f"dns:///{address}"


def service_config(method_config: Sequence[dict[str, Any]] = ()) -> str:
    """The channel's service config as JSON: round-robin over the resolved addresses, and the
    caller's per-method settings (retries, timeouts)."""
    return json.dumps({"loadBalancingConfig": [{"round_robin": {}}], "methodConfig": list(method_config)})


def open_channel(address: str, tls: GrpcTls | None, *, method_config: Sequence[dict[str, Any]] = (),
                 options: Sequence[tuple[str, Any]] = ()) -> grpc.Channel:
    """A channel to the service at `address`; connects lazily, on first use. Over TLS, it follows
    the TLS files: after a renewal the next call goes out with the new certificate."""
    all_options = [*options, ("grpc.service_config", service_config(method_config))]
    if tls is None:
        return grpc.insecure_channel(target(address), options=all_options)
    return ReloadingChannel(tls, lambda material: grpc.secure_channel(
        target(address), tls.channel_credentials(material), options=all_options))
