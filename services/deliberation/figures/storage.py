"""The figures' queries: counts over topics (and opinions) at a place in a period."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from services.deliberation.figures.domain import Figures
from services.deliberation.topics.storage import opinions, topics


def count(conn: sa.Connection, place_kind: str, place_id: str, period: str, start: datetime, end: datetime
          ) -> Figures:
    at_place = topics.c[f"{place_kind}_id"] == place_id

    def within(column: sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
        return sa.and_(at_place, column >= start, column < end)

    def how_many(column: sa.ColumnElement[datetime]) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(topics).where(within(column))).scalar_one()

    closed = conn.execute(
        sa.select(topics.c.rejection_reason, sa.func.count(), sa.func.sum(topics.c.yes_votes + topics.c.no_votes),
                  sa.func.sum(topics.c.households))
        .where(within(topics.c.vote_closed_at)).group_by(topics.c.rejection_reason)).all()
    given = conn.execute(sa.select(sa.func.count()).select_from(opinions.join(topics, topics.c.topic_id ==
                                                                               opinions.c.topic_id))
                         .where(at_place, opinions.c.given_at >= start, opinions.c.given_at < end)).scalar_one()
    accepted = sum(row[1] for row in closed if not row[0])
    return Figures(
        place_id=place_id, period=period,
        drafted=how_many(topics.c.drafted_at), published=how_many(topics.c.published_at), accepted=accepted,
        rejected_by_reason={row[0]: row[1] for row in closed if row[0]},
        votes=sum(int(row[2] or 0) for row in closed), households=sum(int(row[3] or 0) for row in closed),
        panels=how_many(topics.c.panel_confirmed_at), opinions=given, decisions=how_many(topics.c.decided_at),
        proposals_adopted=accepted,
    )
