"""A place's path as tables keep it ("/county/township/community/neighbourhood/"), and the range of
paths at or below a place: the one rule the directory replica and every table scoped by place
(dispatch's tasks, evaluation's matters) select a subtree by."""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa


def text(path: Sequence[str]) -> str:
    """"/county/.../place/": every path in the place's subtree starts so."""
    return "/" + "".join(f"{part}/" for part in path)


def below(conn: sa.Connection, column: sa.ColumnElement[str], path: Sequence[str]) -> sa.ColumnElement[bool]:
    """Rows whose `column` path lies at or below the place with `path`, as a range an index on the
    column serves (LIKE 'prefix%' is a scan: SQLite will not use an index for it with ESCAPE).
    Paths hold ids and "/", so every path below "/a/b/" sorts from it to "/a/b0", exclusive,
    compared byte by byte (the C collation on PostgreSQL, whatever the database's; the column's
    index is built in it)."""
    prefix = text(path)
    if conn.dialect.name == "postgresql":
        column = column.collate("C")
    return sa.and_(column >= prefix, column < prefix[:-1] + "0")
