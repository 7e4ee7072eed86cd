"""The webhook's wire rules, shared by the sender and any receiver that verifies it. No I/O.

Every delivery is an HTTP POST of a JSON body with these headers:

- ``Content-Type: application/json``
- ``X-Lianyi-Event``: the event type (for example ``task.escalated``).
- ``Idempotency-Key``: the delivery id. A delivery may arrive more than once (a retry after a
  timeout, or after the sender died before it heard the answer); the receiver applies each key
  once and answers 2xx to a repeat.
- ``X-Lianyi-Delivery-Attempt``: 1 for the first attempt, 2 for the next, ...
- ``X-Lianyi-Signature: t=<unix seconds>,v1=<hex>``, where ``<hex>`` is HMAC-SHA256, keyed with
  the secret the county shares with the platform, of the bytes ``b"<t>." + body``.

A receiver recomputes the HMAC over the raw body exactly as received (not re-serialised JSON),
compares in constant time, and refuses a timestamp further than its tolerance (5 minutes) from
its own clock. The timestamp is inside the signed bytes, so an eavesdropper cannot replay an old
request with a fresh one; within the tolerance a replay carries an idempotency key already applied.
Several ``v1=`` entries may appear (while a secret is being rotated); any one matching suffices.
"""
from __future__ import annotations

import hashlib
import hmac
import random
from datetime import timedelta

SIGNATURE_HEADER = "X-Lianyi-Signature"
EVENT_HEADER = "X-Lianyi-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
ATTEMPT_HEADER = "X-Lianyi-Delivery-Attempt"

DEFAULT_TOLERANCE_S = 300
BACKOFF_BASE = timedelta(seconds=2)
# An hour-long outage is then tried again at least every ten minutes, and delivery resumes
# within about ten minutes of the platform's recovery.
BACKOFF_CAP = timedelta(minutes=10)


class SignatureRefused(ValueError):
    """A signature header that does not prove the body came from the secret's holder, now."""


def _digest(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The X-Lianyi-Signature value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(secret: bytes, header: str, body: bytes, now: int, tolerance_s: int = DEFAULT_TOLERANCE_S) -> None:
    """Accept the signature or raise SignatureRefused saying why (malformed, forged, stale)."""
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or not value:
            raise SignatureRefused(f"malformed signature header: {part.strip()[:40]!r} is not key=value")
        if key == "t":
            timestamps.append(value)
        elif key == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not timestamps[0].isdigit():
        raise SignatureRefused("malformed signature header: expected exactly one t=<unix seconds>")
    if not signatures:
        raise SignatureRefused("malformed signature header: no v1= signature")
    timestamp = int(timestamps[0])
    expected = _digest(secret, timestamp, body)
    # Every candidate is compared (in constant time) before deciding.
    matches = [hmac.compare_digest(expected, candidate) for candidate in signatures]
    if not any(matches):
        raise SignatureRefused("signature does not match the body and timestamp (wrong secret, or altered)")
    if abs(now - timestamp) > tolerance_s:
        when = "in the future" if timestamp > now else "old"
        raise SignatureRefused(f"timestamp is {abs(now - timestamp)}s {when}, beyond the {tolerance_s}s tolerance")


def backoff(attempt: int, rng: random.Random) -> timedelta:
    """How long to wait after failed attempt number `attempt` (1, 2, ...): exponential with full
    jitter (uniform between zero and base·2^(attempt-1), capped), so deliverers that failed
    together do not all come back together."""
    doublings = min(max(attempt, 1) - 1, 30)
    ceiling: timedelta = min(BACKOFF_BASE * (1 << doublings), BACKOFF_CAP)
    return ceiling * rng.random()
