"""How large a request's head may be: the documented bounds, answered by the gateway as a problem
(414, 431), and gunicorn's own, far above them.

gunicorn parses the head before Flask sees a request and answers its own limits in HTML; Flask
cannot change that. So gunicorn's limits (gunicorn_conf.py) are generous, and the bounds the API
documents are checked here, where the answer is a problem (or Open311's error list): gunicorn's
HTML is reached only by requests far beyond any legitimate one.

The longest legitimate request target is an Open311 list of service requests by id:
GET /open311/v2/requests.json?service_request_id=<1,000 ids>&jurisdiction_id=... (queries.py lets
1,000 ids through). An id is a 36-character UUID; with each comma percent-encoded and followed by
an encoded space ("%2C%20", 6 bytes) the ids take 41,994 bytes, and the path, the parameter names
and a 100-character jurisdiction_id (Chinese, percent-encoded: 900 bytes) about 1,000 more: some
43,000 in all (40,000 with bare commas), which MAX_TARGET_BYTES holds with a third to spare. Headers keep gunicorn's long-standing
defaults (nginx's too), so nothing that reached the gateway before is refused now.

No I/O and no Flask here: gunicorn_conf.py imports this in gunicorn's master process.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

# The documented bounds (README "Request size", the OpenAPI document).
MAX_TARGET_BYTES = 65_536  # the request target: path and query string as sent
MAX_HEADER_FIELD_BYTES = 8_190  # one header line, "Name: value" and its CRLF
MAX_HEADER_FIELDS = 100

# gunicorn's limits (gunicorn_conf.py): only requests far beyond the documented bounds meet them.
GUNICORN_REQUEST_LINE_BYTES = 4 * MAX_TARGET_BYTES
GUNICORN_HEADER_FIELD_BYTES = 2 * MAX_HEADER_FIELD_BYTES
GUNICORN_HEADER_FIELDS = 2 * MAX_HEADER_FIELDS

# CGI's names for two headers the WSGI environ keeps without the HTTP_ prefix.
_UNPREFIXED = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


def target_bytes(environ: Mapping[str, Any]) -> int:
    """The request target's length as the client sent it. gunicorn's RAW_URI holds path and query,
    werkzeug's (the dev server, the test client) the path only; the query string is the same raw
    text in both."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/;=,")
    query = environ.get("QUERY_STRING", "")
    return len(raw.split("?", 1)[0]) + (1 + len(query) if query else 0)


def header_fields(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The request's header fields as (name, value), from the WSGI environ."""
    fields = [(name, str(value)) for key, name in _UNPREFIXED.items() if (value := environ.get(key)) is not None]
    fields += [(key[5:].replace("_", "-").title(), str(value)) for key, value in environ.items()
               if key.startswith("HTTP_")]
    return fields


def too_large(environ: Mapping[str, Any]) -> tuple[int, str] | None:
    """(414 or 431, why) when the request's head is beyond the documented bounds, else None."""
    target = target_bytes(environ)
    if target > MAX_TARGET_BYTES:
        return 414, (f"the request target (path and query) is {target} bytes, more than {MAX_TARGET_BYTES}; "
                     "ask for fewer items at once")
    fields = header_fields(environ)
    if len(fields) > MAX_HEADER_FIELDS:
        return 431, f"the request has {len(fields)} header fields, more than {MAX_HEADER_FIELDS}"
    for name, value in fields:
        size = len(name) + len(": ") + len(value) + len("\r\n")
        if size > MAX_HEADER_FIELD_BYTES:
            return 431, f"the header field {name} is {size} bytes, more than {MAX_HEADER_FIELD_BYTES}"
    return None
