"""Reports as CSV, for a spreadsheet: whether the caller asked for CSV (`format=csv`, or
`Accept: text/csv` preferred to JSON), and a report's figures as one row each. A figure that is
a breakdown (concerns by channel) is one row per part, named `figure.part`. Every row repeats
the columns that say what the report is of (place, period), so reports for several places or
periods pasted under one another stay one table."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from flask import Response, request

CSV = "text/csv"


def wants_csv(chosen: str | None) -> bool:
    """The format the caller chose (its `format` parameter, json or csv), or else the one its
    Accept header prefers: JSON, unless it prefers CSV."""
    if chosen is not None:
        return chosen == "csv"
    return request.accept_mimetypes.best_match(["application/json", CSV]) == CSV


def figure_rows(sections: Mapping[str, Mapping[str, Any]]) -> Iterator[tuple[str, str, Any]]:
    """(section, figure, value) for every figure of every section, in order; a breakdown's parts
    as figure.part; a figure without a value (a turnout with no vote) as an empty cell."""
    for section, figures in sections.items():
        for figure, value in figures.items():
            if isinstance(value, Mapping):
                for part, count in value.items():
                    yield section, f"{figure}.{part}", count
            else:
                yield section, figure, "" if value is None else value


def csv_response(columns: Sequence[str], rows: Iterator[Sequence[Any]], filename: str) -> Response:
    """The rows as a CSV download (RFC 4180: CRLF line ends, UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(rows)
    response = Response(out.getvalue(), mimetype=CSV)
    response.headers["Content-Type"] = f"{CSV}; charset=utf-8; header=present"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
