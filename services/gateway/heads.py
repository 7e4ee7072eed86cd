"""How large a request's head may be. The request target's bound is the gateway's, answered as a
problem (414); the header fields' bounds are gunicorn's own, checked as it parses the head.

gunicorn parses the head before Flask sees a request and answers its own limits in HTML; Flask
cannot change that. The request target needs more room than gunicorn's 8,190-byte default: the
longest legitimate one is an Open311 list of service requests by id, GET
/open311/v2/requests.json?service_request_id=<1,000 ids>&jurisdiction_id=... (queries.py lets 1,000
ids through). An id is a 36-character UUID; with each comma percent-encoded and followed by an
encoded space ("%2C%20", 6 bytes) the ids take 41,994 bytes, and the path, the parameter names and
a 100-character jurisdiction_id (Chinese, percent-encoded: 900 bytes) about 1,000 more: some 43,000
in all, which MAX_TARGET_BYTES holds with a third to spare. So gunicorn's request line is set far
above that bound, and the bound is checked here, where the answer is a problem (or Open311's error
list).

Header fields keep gunicorn's long-standing limits (nginx's too), enforced by gunicorn: only it
sees each header line as sent (the WSGI environ joins repeated ones, so a check here would refuse
legitimate split cookies), and larger limits would make parsing a hostile head far costlier. Its
answer to an over-large head is its own (HTML), before the gateway.

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

# gunicorn's limits (gunicorn_conf.py): the request line far above the documented target bound
# (only requests far beyond it meet gunicorn's HTML 414); header fields exactly the documented bounds.
GUNICORN_REQUEST_LINE_BYTES = 4 * MAX_TARGET_BYTES
GUNICORN_HEADER_FIELD_BYTES = MAX_HEADER_FIELD_BYTES
GUNICORN_HEADER_FIELDS = MAX_HEADER_FIELDS


def target_bytes(environ: Mapping[str, Any]) -> int:
    """The request target's length as the client sent it. gunicorn's RAW_URI holds path and query,
    werkzeug's (the dev server, the test client) the path only; the query string is the same raw
    text in both."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/;=,")
    query = environ.get("QUERY_STRING", "")
    return len(raw.split("?", 1)[0]) + (1 + len(query) if query else 0)


def too_large(environ: Mapping[str, Any]) -> tuple[int, str] | None:
    """(414, why) when the request target is beyond the documented bound, else None."""
    target = target_bytes(environ)
    if target > MAX_TARGET_BYTES:
        return 414, (f"the request target (path and query) is {target} bytes, more than {MAX_TARGET_BYTES}; "
                     "ask for fewer items at once")
    return None
