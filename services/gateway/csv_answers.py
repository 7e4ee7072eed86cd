"""Answering a GET as CSV instead of JSON: when the caller asks `format=csv` or sends
`Accept: text/csv` (preferring it to JSON). UTF-8 with a byte-order mark, so spreadsheet programs
the county's staff use read the Chinese text right; a header row of the JSON's field names; empty
cells for nulls."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response, request

TEXT_CSV = "text/csv"


def wants_csv(format_: str | None) -> bool:
    if format_ is not None:
        return format_ == "csv"
    best = request.accept_mimetypes.best_match(["application/json", TEXT_CSV])
    return best == TEXT_CSV and request.accept_mimetypes[TEXT_CSV] > request.accept_mimetypes["application/json"]


def csv_response(columns: Sequence[str], rows: Iterable[dict[str, Any]], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n", extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if value is None else value for key, value in row.items()})
    response = Response("\ufeff" + out.getvalue(), mimetype=TEXT_CSV)
    response.headers["Content-Type"] = f"{TEXT_CSV}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
