"""County settings: values a county sets as data, which a township, community or neighbourhood
may override (the most specific place wins), each typed and validated by its definition.

This module is the rules, with no I/O: what a setting is (`Definition`), a value set at a place
(`StoredValue`), which value decides (`resolve`), and the event a change causes (`SettingChanged`)
with its translator for the outbox (`outgoing`). The tables are in servicekit.settings_schema,
the cache and writes in servicekit.settings_store, who may write in servicekit.settings_access,
the gRPC service in servicekit.settings_service, the listener that applies other replicas'
changes in servicekit.settings_listener. A service declares its settings (keys starting with its
name) and hands them to a `settings_store.CountySettings`.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import TypeAdapter, ValidationError

from lianyi.settings.v1 import settings_pb2
from servicekit import topics
from servicekit.errors import InvalidArgument
from servicekit.settings_access import EVERYWHERE, LEVELS, PLACE_LEVELS, Directory, Whereabouts
from servicekit.unit_of_work import Outgoing

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
KEY_MAX_CHARS = 100
QUALIFIER_MAX_CHARS = 100
VALUE_MAX_CHARS = 4000

__all__ = [
    "EVERYWHERE",
    "LEVELS",
    "PLACE_LEVELS",
    "Case",
    "Definition",
    "Directory",
    "Qualifier",
    "SettingChanged",
    "StoredValue",
    "Whereabouts",
    "effective",
    "outgoing",
    "resolve",
]

T = TypeVar("T")
# What a reader asks about, for a qualified setting (triage: {"category": ..., "urgency": ...}).
Case = Mapping[str, str]


@dataclass(frozen=True)
class Qualifier:
    """What tells a setting's values apart at one place besides the place itself (triage rules:
    category and urgency), and how the values on a place's path compete for one case."""

    description: str
    # The canonical text of a qualifier; ValueError, naming the problem, if it is not one.
    normalise: Callable[[str], str]
    # How strongly a value with this qualifier, set `depth` places below the whole deployment
    # (0 is "*"), applies to a case: the highest wins; None if it does not apply at all.
    rank: Callable[[str, int, Case], Sequence[Any] | None]


@dataclass(frozen=True)
class Definition(Generic[T]):
    """One setting: its key (namespaced by the owning service: "intake.duplicates.window_days"),
    what it means, its value type (anything pydantic's TypeAdapter takes; values are validated
    strictly, so "30" is not 30), its default, the levels it may be set at, and optionally a
    qualifier. `check(conn, qualifier, value)` is a rule that needs the service's own data
    (triage: the category must be one the county has open); it raises InvalidArgument."""

    key: str
    description: str
    type: Any
    default: T
    levels: tuple[str, ...] = LEVELS
    qualifier: Qualifier | None = None
    check: Callable[[Any, str, T], None] | None = None
    _adapter: TypeAdapter[T] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.key) > KEY_MAX_CHARS or not KEY_PATTERN.fullmatch(self.key):
            raise ValueError(f"a setting key is dotted lower case, its owner first: {self.key!r}")
        if not self.levels or set(self.levels) - set(LEVELS):
            raise ValueError(f"{self.key}: levels must be among {', '.join(LEVELS)}")
        object.__setattr__(self, "_adapter", TypeAdapter(self.type))
        self.parse(self.default)  # a default that breaks its own rules fails at import, not in use

    @property
    def owner(self) -> str:
        """The service whose setting this is (the key's first part)."""
        return self.key.split(".", 1)[0]

    def parse(self, value: object) -> T:
        """A value checked against the setting's type; InvalidArgument listing every problem."""
        try:
            return self._adapter.validate_python(value, strict=True)
        except ValidationError as exc:
            raise InvalidArgument(_problems(exc)) from None

    def parse_json(self, text: str) -> T:
        """A value given as JSON text, checked as `parse` checks it."""
        if len(text) > VALUE_MAX_CHARS:
            raise InvalidArgument(f"value: at most {VALUE_MAX_CHARS} characters of JSON")
        try:
            return self._adapter.validate_json(text, strict=True)
        except ValidationError as exc:
            raise InvalidArgument(_problems(exc)) from None

    def to_json(self, value: T) -> str:
        """A value as stored and published: compact JSON, text left readable."""
        return self._adapter.dump_json(value).decode()

    def schema_json(self) -> str:
        """The JSON Schema of its values, as text."""
        return json.dumps(self._adapter.json_schema(), ensure_ascii=False, sort_keys=True)

    def applying(self, deciding: StoredValue[T] | None) -> T:
        """What applies where `deciding` is the value that decides (see `resolve`): its value,
        or the default where none does."""
        return deciding.value if deciding is not None else self.default

    def qualifier_of(self, text: str) -> str:
        """The canonical qualifier; InvalidArgument unless the setting takes this one."""
        if self.qualifier is None:
            if text:
                raise InvalidArgument(f"qualifier: {self.key} takes none")
            return ""
        if not text:
            raise InvalidArgument(f"qualifier: {self.key} needs one ({self.qualifier.description})")
        try:
            canonical = self.qualifier.normalise(text)
        except ValueError as exc:
            raise InvalidArgument(f"qualifier: {exc}") from None
        if len(canonical) > QUALIFIER_MAX_CHARS:
            raise InvalidArgument(f"qualifier: at most {QUALIFIER_MAX_CHARS} characters")
        return canonical


def _problems(exc: ValidationError) -> str:
    """Pydantic's errors as one line, without echoing the value given."""
    return "; ".join(
        ".".join(["value", *(str(part) for part in error["loc"])]) + f": {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)
    )


@dataclass(frozen=True)
class StoredValue(Generic[T]):
    """A value set at one place (and qualifier), as kept in the service's database."""

    setting_id: str
    key: str
    scope_id: str
    qualifier: str
    value: T
    value_json: str
    version: int
    updated_at: datetime
    updated_by: str


def resolve(definition: Definition[T], values: Iterable[StoredValue[T]], place_path: tuple[str, ...],
            case: Case | None = None) -> StoredValue[T] | None:
    """The value that decides at the place with this path (county first) among values set there,
    above it or everywhere, or None (then the default applies). Without a qualifier the most
    specific place wins; with one, its `rank` decides (given each value's depth)."""
    depth = {scope_id: index for index, scope_id in enumerate((EVERYWHERE, *place_path))}
    best: tuple[Sequence[Any], StoredValue[T]] | None = None
    for stored in values:
        if stored.key != definition.key or stored.scope_id not in depth:
            continue
        rank: Sequence[Any] | None = (
            (depth[stored.scope_id],) if definition.qualifier is None
            else definition.qualifier.rank(stored.qualifier, depth[stored.scope_id], case or {})
        )
        if rank is not None and (best is None or tuple(rank) > tuple(best[0])):
            best = (rank, stored)
    return best[1] if best else None


def effective(definition: Definition[T], values: Iterable[StoredValue[T]], place_path: tuple[str, ...],
              case: Case | None = None) -> T:
    """What applies at the place: the deciding value, or the setting's default."""
    return definition.applying(resolve(definition, values, place_path, case))


@dataclass(frozen=True)
class SettingChanged:
    """A value was set at a place, or cleared (value_json then empty)."""

    key: str
    scope_id: str
    qualifier: str
    value_json: str
    version: int
    cleared: bool = False

    @property
    def message_key(self) -> str:
        """The topic's key: one per place and qualifier of a setting, so compaction keeps the last."""
        return f"{self.key}|{self.scope_id}|{self.qualifier}"


def outgoing(event: object) -> Outgoing | None:
    """The translator a service adds to its units of work: SettingChanged onto lianyi.settings.v1."""
    if not isinstance(event, SettingChanged):
        return None
    return Outgoing(settings_pb2.SettingChanged(key=event.key, scope_id=event.scope_id, qualifier=event.qualifier,
                                                value_json=event.value_json, version=event.version,
                                                cleared=event.cleared),
                    topic=topics.SETTINGS, key=event.message_key)

