"""Where county settings are set, and who may read and write them there: one rule for every
setting of every service. No I/O: the caller locates the place.

Values are set for the whole deployment ("*") or at a county, township, community or
neighbourhood. Whoever may see a place may read the values that apply there (set at it, above it
on its path, or everywhere). Writing: "*" only the deployment's administrators; a place, an
administrator whose scope covers it, or a party secretary their own neighbourhood. A place the
caller can see but may not change (above their scope, on their own path) is refused as
forbidden; one they cannot see is not found, exactly as if it did not exist. Role names are the
services' (services/contract.py), handed in as `Writers`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from servicekit.auth import Principal
from servicekit.errors import InvalidArgument, NotFound, PermissionDenied

# The whole deployment: beneath every place, so any place's own value overrides it.
EVERYWHERE = "*"
# The kinds of directory place a value may be set at, widest first (their depth in a path).
PLACE_LEVELS = ("county", "township", "community", "neighbourhood")
LEVELS = (EVERYWHERE, *PLACE_LEVELS)
SCOPE_ID_MAX_CHARS = 64


@dataclass(frozen=True)
class Whereabouts:
    """Where a directory place sits: its kind and its path (the county first, itself last)."""

    kind: str
    path: tuple[str, ...]

    @property
    def place_id(self) -> str:
        return self.path[-1]


class Directory(Protocol):
    """Where places are, as a service knows them (intake its directory, the others their
    replica), read on the caller's connection."""

    def locate(self, conn: Any, place_id: str) -> Whereabouts | None: ...


@dataclass(frozen=True)
class Writers:
    """Who may set values: at "*", at any place their scope covers, or only at the
    neighbourhood that is their scope (role names)."""

    everywhere: frozenset[str]
    in_scope: frozenset[str]
    own_neighbourhood: frozenset[str]


@dataclass(frozen=True)
class Wording:
    """How refusals name what is set: settings in general, or e.g. triage's rules."""

    one: str = "setting"
    many: str = "settings"


SETTINGS = Wording()


def not_a_place(scope_id: str) -> NotFound:
    return NotFound(f"no county, township, community or neighbourhood {scope_id[:SCOPE_ID_MAX_CHARS]!r} "
                    "in your scope")


def place_path(principal: Principal | None, scope_id: str, place: Whereabouts | None) -> tuple[str, ...]:
    """The path of a place a caller may read values at ("*" has none), or NotFound: it is not a
    place where values are set, or lies outside their scope."""
    if scope_id == EVERYWHERE:
        return ()
    if place is None or place.kind not in PLACE_LEVELS or not _covers(principal, place):
        raise not_a_place(scope_id)
    return place.path


def sees(principal: Principal | None, scope_id: str, place: Whereabouts | None) -> bool:
    """Values a caller is shown at some place: set everywhere, at a place in their scope, or at a
    place above it on their own path."""
    if scope_id == EVERYWHERE:
        return True
    return place is not None and place.kind in PLACE_LEVELS and (
        _covers(principal, place) or (principal is not None and place.place_id in principal.scope))


def check_writer(principal: Principal | None, writers: Writers, scope_id: str, place: Whereabouts | None,
                 levels: tuple[str, ...], key: str, wording: Wording = SETTINGS) -> None:
    """Raise unless the caller may set or clear a value of setting `key` (settable at `levels`)
    at `scope_id` (located at `place`). Code in-process without a caller is trusted."""
    if scope_id == EVERYWHERE:
        if principal is not None and principal.role not in writers.everywhere:
            raise PermissionDenied(f"only a county administrator sets or removes {wording.many} for everywhere (*)")
        _check_level(levels, EVERYWHERE, key)
        return
    try:
        place_path(principal, scope_id, place)
    except NotFound:
        if sees(principal, scope_id, place):
            raise PermissionDenied(f"{wording.many} above your scope are set by the administrators there") from None
        raise
    assert place is not None  # place_path refuses a missing place
    _check_level(levels, place.kind, key)
    if principal is None or principal.role in writers.in_scope:
        return
    if principal.role in writers.own_neighbourhood and place.kind == "neighbourhood" and \
            place.path == principal.scope:
        return
    raise PermissionDenied(f"a {principal.role} may not set {wording.many} for a {place.kind}")


def _check_level(levels: tuple[str, ...], level: str, key: str) -> None:
    if level not in levels:
        where = ", ".join("everywhere (*)" if name == EVERYWHERE else name for name in levels)
        raise InvalidArgument(f"scope_id: {key} is set for {where}; not for {_named(level)}")


def _named(level: str) -> str:
    return "everywhere (*)" if level == EVERYWHERE else f"a {level}"


def _covers(principal: Principal | None, place: Whereabouts) -> bool:
    # In-process code without a caller (set-up, tests) is trusted, as servicekit.auth has it.
    return principal is None or principal.covers(place.path)
