"""Routing: a path segment that a route spells out belongs to that route, whatever the method.

Werkzeug tries a static segment before a converter, but when the static route does not serve the
request's method it falls back to a converter in the same place: GET /api/v1/concerns/online-batches
(a POST-only route) became GET /api/v1/concerns/<concern_id> for a concern called "online-batches",
a 404 about an id nobody sent instead of a 405 naming POST, and every 405 or OPTIONS on that path
listed the converter route's methods too. Here a converter that stands for a whole segment never
matches a name that a sibling route spells out in that place, so such a request answers 405 with
only the sibling's methods in Allow.

The names are known only once every route is registered, so the map holds the rules until `seal`
(create_app calls it after the last blueprint); a rule added after that is routed as Werkzeug would.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter, IntegerConverter, Map, Rule, RuleFactory

# One segment that is a single variable, as in "<concern_id>" or "<int:page>".
_WHOLE_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>:]+)>")

Shape = tuple[str | None, ...]  # a rule's segments, None where a segment holds a variable


def _shape(segments: Iterable[str]) -> Shape:
    return tuple(None if "<" in segment else segment for segment in segments)


def claimed_names(rules: Iterable[str]) -> dict[Shape, frozenset[str]]:
    """For each run of leading segments (variables as None), the names routes spell out next."""
    claimed: defaultdict[Shape, set[str]] = defaultdict(set)
    for rule in rules:
        shape = _shape(rule.split("/"))
        for position, segment in enumerate(shape):
            if segment:
                claimed[shape[:position]].add(segment)
    return {prefix: frozenset(names) for prefix, names in claimed.items()}


class ClaimingRule(Rule):
    """A rule whose whole-segment converters refuse the names sibling routes spell out there."""

    def get_converter(self, variable_name: str, converter_name: str, args: tuple[Any, ...],
                      kwargs: Mapping[str, Any]) -> BaseConverter:
        converter = super().get_converter(variable_name, converter_name, args, kwargs)
        claimed: dict[Shape, frozenset[str]] = getattr(self.map, "claimed", {})
        segments = self.rule.split("/")
        for position, segment in enumerate(segments):
            whole = _WHOLE_VARIABLE.fullmatch(segment)
            if whole and whole.group(1) == variable_name and converter.part_isolating:
                names = claimed.get(_shape(segments[:position]), frozenset())
                if names:
                    refused = "|".join(re.escape(name) for name in sorted(names))
                    # "/" too: in a rule that also holds a path converter, segments are matched together.
                    converter.regex = rf"(?!(?:{refused})(?:/|\Z)){converter.regex}"
        return converter


class AsciiIntegerConverter(IntegerConverter):
    """<int:...> of ASCII digits only: Werkzeug's \\d also takes other scripts' digits, so
    /annual-ratings/٢٠٢٦ was served as 2026."""

    regex = r"[0-9]+"


class ClaimingMap(Map):
    """A map that holds its rules until `seal`, when it knows every name routes spell out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.claimed: dict[Shape, frozenset[str]] = {}
        self._held: list[RuleFactory] | None = []
        super().__init__(*args, **kwargs)
        self.converters = {**self.converters, "int": AsciiIntegerConverter}

    def add(self, rulefactory: RuleFactory) -> None:
        if self._held is None:
            super().add(rulefactory)
        else:
            self._held.append(rulefactory)

    def seal(self) -> None:
        """Add the held rules, their converters refusing what a sibling spells out."""
        held, self._held = self._held or [], None
        rules = [rule for factory in held for rule in factory.get_rules(self)]
        self.claimed = claimed_names(rule.rule for rule in rules)
        for rule in rules:
            super().add(rule)


class GatewayFlask(Flask):
    url_map_class = ClaimingMap
    url_rule_class = ClaimingRule


def seal(app: Flask) -> None:
    url_map = app.url_map
    if isinstance(url_map, ClaimingMap):
        url_map.seal()
