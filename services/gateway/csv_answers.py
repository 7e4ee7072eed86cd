"""Answers as CSV, one way for every report and list here: whether the caller asked for CSV
(`format=csv`, or `Accept: text/csv` preferred to JSON), a report's figures as one row each, and
the download: UTF-8 with a byte-order mark (so the spreadsheet programs the county's staff use read
the Chinese right), CRLF line ends and a header row (RFC 4180), empty cells for nulls, and text a
spreadsheet would run as a formula kept as text."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from flask import Response, request

from servicekit.text import spreadsheet_cell

CSV = "text/csv"
CONTENT_TYPE = f"{CSV}; charset=utf-8; header=present"


def wants_csv(chosen: str | None) -> bool:
    """The format the caller chose (its `format` parameter, json or csv), or else the one its
    Accept header prefers: JSON, unless it prefers CSV."""
    if chosen is not None:
        return chosen == "csv"
    best = request.accept_mimetypes.best_match(["application/json", CSV])
    return best == CSV and request.accept_mimetypes[CSV] > request.accept_mimetypes["application/json"]


def figure_rows(sections: Mapping[str, Mapping[str, Any]]) -> Iterator[tuple[str, str, Any]]:
    """(section, figure, value) for every figure of every section, in order; a breakdown's parts
    as figure.part (concerns_by_channel.online)."""
    for section, figures in sections.items():
        for figure, value in figures.items():
            if isinstance(value, Mapping):
                for part, count in value.items():
                    yield section, f"{figure}.{part}", count
            else:
                yield section, figure, value


def _cell(value: Any) -> Any:
    return "" if value is None else spreadsheet_cell(value) if isinstance(value, str) else value


def csv_response(columns: Sequence[str], rows: Iterable[Sequence[Any]], filename: str) -> Response:
    """The rows under a header of `columns`, as a download named `filename`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return csv_download(out.getvalue(), filename)


def csv_download(table: str, filename: str) -> Response:
    """A table a service wrote as CSV (with its header row), as a download like every other here."""
    response = Response("\ufeff" + table, mimetype=CSV)
    response.headers["Content-Type"] = CONTENT_TYPE
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
