"""Deliberation's contract with its callers, beside its protos (which declare who may call each
RPC): the limits its inputs keep. Imports nothing of deliberation, so the gateway may read it."""
from __future__ import annotations

from servicekit.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

# A page of the pool.
POOL_PAGE_SIZE_DEFAULT = DEFAULT_PAGE_SIZE
POOL_PAGE_SIZE_MAX = MAX_PAGE_SIZE
