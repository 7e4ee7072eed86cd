"""A gRPC channel that follows its TLS files: when they change (a renewed certificate), the next
call goes through a new channel built with them.

grpc's channel credentials are fixed when a channel is made, and Python's grpc has no dynamic
client credentials; so the channel itself is replaced. Stubs take their multicallables from a
channel once, when they are made: those handed out here look the current channel up at each
call, so stubs made at start follow every renewal. The channel replaced is closed after a grace,
once the calls already on it have ended (their deadlines are far shorter).
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import grpc

from servicekit.grpc_tls import GrpcTls, TlsMaterial

# How long a replaced channel stays open for the calls already on it.
RETIRED_GRACE_S = 120.0


class ReloadingChannel(grpc.Channel):
    """A channel built by `build(material)` from `tls`'s current files, and again when they change."""

    def __init__(self, tls: GrpcTls, build: Callable[[TlsMaterial], grpc.Channel]):
        self._tls, self._build = tls, build
        self._lock = threading.Lock()
        self._material = tls.current()
        self._channel = build(self._material)
        self._closed = False

    def current(self) -> grpc.Channel:
        """The channel for the files as they are now."""
        material = self._tls.current()
        if material is self._material:
            return self._channel
        with self._lock:
            if material is not self._material and not self._closed:
                retired = self._channel
                self._material, self._channel = material, self._build(material)
                closer = threading.Timer(RETIRED_GRACE_S, retired.close)
                closer.daemon = True
                closer.start()
            return self._channel

    def unary_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Multicallable(self, "unary_unary", method, args, kwargs)

    def unary_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Multicallable(self, "unary_stream", method, args, kwargs)

    def stream_unary(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Multicallable(self, "stream_unary", method, args, kwargs)

    def stream_stream(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return _Multicallable(self, "stream_stream", method, args, kwargs)

    def subscribe(self, callback: Callable[[grpc.ChannelConnectivity], None], try_to_connect: bool = False) -> None:
        self.current().subscribe(callback, try_to_connect)

    def unsubscribe(self, callback: Callable[[grpc.ChannelConnectivity], None]) -> None:
        self._channel.unsubscribe(callback)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._channel.close()

    def __enter__(self) -> ReloadingChannel:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _Multicallable:
    """One RPC of a ReloadingChannel: made on the current channel at each call (and kept while
    that channel is current)."""

    def __init__(self, owner: ReloadingChannel, kind: str, method: str, args: tuple[Any, ...],
                 kwargs: dict[str, Any]):
        self._owner, self._kind, self._method, self._args, self._kwargs = owner, kind, method, args, kwargs
        self._made: tuple[grpc.Channel, Any] | None = None

    def _callable(self) -> Any:
        channel = self._owner.current()
        made = self._made
        if made is None or made[0] is not channel:
            made = (channel, getattr(channel, self._kind)(self._method, *self._args, **self._kwargs))
            self._made = made
        return made[1]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._callable()(*args, **kwargs)

    def with_call(self, *args: Any, **kwargs: Any) -> Any:
        return self._callable().with_call(*args, **kwargs)

    def future(self, *args: Any, **kwargs: Any) -> Any:
        return self._callable().future(*args, **kwargs)
