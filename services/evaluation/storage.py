"""Evaluation's tables and queries."""
from __future__ import annotations

import sqlalchemy as sa

from servicekit.database import UtcDateTime
from services.evaluation.domain import IntakeFigures

metadata = sa.MetaData()

intake_figures = sa.Table(
    "intake_figures",
    metadata,
    sa.Column("neighbourhood_id", sa.String(64), primary_key=True),
    sa.Column("concerns_received", sa.BigInteger, nullable=False),
    sa.Column("first_received_at", UtcDateTime, nullable=True),
    sa.Column("last_received_at", UtcDateTime, nullable=True),
)


# Built once, given parameters per call: a new statement per event costs more than running it.
_SELECT = sa.select(intake_figures).where(intake_figures.c.neighbourhood_id == sa.bindparam("key"))
_INSERT = intake_figures.insert()
_UPDATE = intake_figures.update().where(intake_figures.c.neighbourhood_id == sa.bindparam("key"))


def get_figures(conn: sa.Connection, neighbourhood_id: str) -> IntakeFigures | None:
    row = conn.execute(_SELECT, {"key": neighbourhood_id}).first()
    return IntakeFigures(**row._mapping) if row else None


def save_figures(conn: sa.Connection, figures: IntakeFigures, *, existed: bool) -> None:
    values = dict(figures.__dict__)
    if existed:
        key = values.pop("neighbourhood_id")
        conn.execute(_UPDATE, {"key": key, **values})
    else:
        conn.execute(_INSERT, values)
