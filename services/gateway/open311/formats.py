"""GeoReport v2 on the wire: one document, rendered as JSON or XML, and the spec's errors.

The spec defines XML and derives JSON from it by the Spark convention: a list is a JSON array and,
in XML, a wrapper element holding one element per item (`<services><service>…`). Views build plain
dicts and lists; only this module knows element names.
"""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from xml.etree import ElementTree

JSON, XML = "json", "xml"
MIMETYPES = {JSON: "application/json", XML: "text/xml"}

# Each list's element name, keyed by the root or field that holds it.
ITEM_OF = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}

# XML 1.0 cannot carry these at all (not even escaped); a stray one must not make the document
# unreadable for every client, so it is shown as U+FFFD instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class Open311Error(Exception):
    """Raise from a view to answer with the spec's error list; several descriptions are allowed."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__("; ".join(descriptions))
        self.status, self.descriptions = status, list(descriptions)


def format_of(path: str) -> str:
    """The format a path asks for by its extension; JSON when it names neither (so even an error
    about an unknown format comes back in something readable)."""
    return XML if path.rsplit("/", 1)[-1].endswith(".xml") else JSON


def errors_body(status: int, descriptions: list[str]) -> list[dict]:
    return [{"code": status, "description": d} for d in descriptions]


def render(fmt: str, root: str, body: dict | list) -> tuple[bytes, str]:
    """The document and its Content-Type (always UTF-8, as the spec requires)."""
    if fmt == XML:
        return _xml(root, body), f"{MIMETYPES[XML]}; charset=utf-8"
    return json.dumps(body, ensure_ascii=False).encode(), f"{MIMETYPES[JSON]}; charset=utf-8"


def _xml(root: str, body: dict | list) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, root, body)
    # Written by hand: ElementTree's own declaration uses single quotes and lower-case names,
    # and some GeoReport clients match the spec's declaration literally.
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(element, encoding="unicode").encode()


def _fill(element: ElementTree.Element, name: str, value) -> None:
    if isinstance(value, list):
        for item in value:
            _fill(ElementTree.SubElement(element, ITEM_OF[name]), ITEM_OF[name], item)
    elif isinstance(value, dict):
        for key, child in value.items():
            _fill(ElementTree.SubElement(element, key), key, child)
    elif value is not None:  # None stays an empty element, as in the spec's examples
        element.text = _NOT_XML.sub("\ufffd", _text(value))


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# The spec's dates are the W3C profile of ISO 8601 and "timezone information must be included".
_W3C_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def w3c_datetime(moment: datetime) -> str:
    """2010-01-01T00:00:00Z: UTC, whole seconds, like the spec's examples."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_w3c_datetime(text: str, field: str) -> datetime:
    """A W3C datetime with its time zone, or ValueError saying what was expected."""
    # An unencoded "+08:00" in a query string arrives as " 08:00"; the intent is unmistakable.
    candidate = re.sub(r" (\d{2}:\d{2})$", r"+\1", text.strip())
    if not _W3C_DATETIME.fullmatch(candidate):
        raise ValueError(f"{field} must be a W3C datetime with a time zone, e.g. 2010-01-01T00:00:00Z")
    try:
        return datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} is not a real date and time: {text[:40]!r}") from None
