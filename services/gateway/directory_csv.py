"""Directory import rows from CSV: columns kind, external_id, parent_external_id, name, and one
`attributes.<field>` column per attribute (lists separated by `;`, booleans true/false, numbers
as decimals)."""
from __future__ import annotations

import csv
import io
import typing

from services.gateway.problems import ProblemError
from services.intake.contract import ATTRIBUTES

REQUIRED = ("kind", "external_id", "parent_external_id", "name")
PREFIX = "attributes."
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def rows_from_csv(text: str, max_rows: int) -> list[dict]:
    try:
        return _rows(text, max_rows)
    except csv.Error as exc:
        raise ProblemError(422, f"the CSV cannot be read: {exc}") from None


def _rows(text: str, max_rows: int) -> list[dict]:
    reader = csv.DictReader(io.StringIO(text))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in REQUIRED and not c.startswith(PREFIX)]
    if missing or unknown:
        raise ProblemError(422, f"CSV columns: missing {missing or 'none'}, unknown {unknown or 'none'}; "
                                f"attribute columns are named {PREFIX}<field>")
    rows = []
    for record in reader:
        if len(rows) == max_rows:
            raise ProblemError(422, f"at most {max_rows} rows per import")
        kind = (record.get("kind") or "").strip()
        attributes = {
            column[len(PREFIX):]: _typed(kind, column[len(PREFIX):], value)
            for column, value in record.items()
            if column and column.startswith(PREFIX) and value not in (None, "")
        }
        rows.append({name: (record.get(name) or "").strip() for name in REQUIRED} | {"attributes": attributes})
    return rows


def _typed(kind: str, field: str, value: str):
    """The CSV text as the type the kind's attribute declares; left as text where unknown, so the
    directory's own validation names the problem."""
    model = ATTRIBUTES.get(kind)
    annotation = model.model_fields[field].annotation if model and field in model.model_fields else str
    if typing.get_origin(annotation) is list:
        return [part.strip() for part in value.split(";") if part.strip()]
    if annotation is bool:
        lowered = value.strip().lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else value
    if float in (annotation, *typing.get_args(annotation)):
        try:
            return float(value)
        except ValueError:
            return value
    return value
