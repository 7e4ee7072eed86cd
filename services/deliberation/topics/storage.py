"""Topics' tables and queries: the topic, its concerns, history, panel, opinions and decision."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from servicekit.database import UtcDateTime
from servicekit.events import Place
from servicekit.ids import looks_like_id
from services.deliberation import storage as pool
from services.deliberation.panels.domain import Candidate
from services.deliberation.topics.domain import Action, Attendee, Decision, HistoryEntry, Opinion, Topic
from services.deliberation.votes.domain import Count, VoteRule

metadata = sa.MetaData()
_ID = 36
Grouped = dict[str, list[Any]]

topics = sa.Table(
    "topics",
    metadata,
    sa.Column("topic_id", sa.String(_ID), primary_key=True),
    # Every place above it too: the figures count per neighbourhood, community, township and county.
    sa.Column("neighbourhood_id", sa.String(_ID), nullable=False),
    sa.Column("community_id", sa.String(_ID), nullable=False),
    sa.Column("township_id", sa.String(_ID), nullable=False),
    sa.Column("county_id", sa.String(_ID), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("meeting_on", sa.Date, nullable=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("drafted_at", UtcDateTime, nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=True),
    sa.Column("vote_closes_at", UtcDateTime, nullable=True),
    sa.Column("vote_closed_at", UtcDateTime, nullable=True),
    sa.Column("closed_early", sa.Boolean, nullable=False, server_default=sa.false()),
    # The final tally, once the vote closed.
    sa.Column("yes_votes", sa.Integer, nullable=True),
    sa.Column("no_votes", sa.Integer, nullable=True),
    sa.Column("households", sa.Integer, nullable=True),
    # The shares it was judged by (they may be changed later), as the decimal text set.
    sa.Column("quorum", sa.String(20), nullable=True),
    sa.Column("threshold", sa.String(20), nullable=True),
    sa.Column("rejection_reason", sa.String(20), nullable=False, server_default=""),
    sa.Column("concerns_fate", sa.String(10), nullable=False, server_default=""),
    sa.Column("panel_confirmed_at", UtcDateTime, nullable=True),
    sa.Column("consensus", sa.Text, nullable=False, server_default=""),
    sa.Column("consensus_at", UtcDateTime, nullable=True),
    sa.Column("decided_at", UtcDateTime, nullable=True),
    sa.Index("ix_topics_neighbourhood", "neighbourhood_id", "topic_id"),
    sa.Index("ix_topics_neighbourhood_meeting", "neighbourhood_id", "meeting_on"),
)

topic_concerns = sa.Table(
    "topic_concerns",
    metadata,
    sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), primary_key=True),
    sa.Column("concern_id", sa.String(_ID), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
)

topic_history = sa.Table(
    "topic_history",
    metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), nullable=False),
    sa.Column("step", sa.String(30), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Index("ix_topic_history_topic", "topic_id", "seq"),
)

panellists = sa.Table(
    "panellists",
    metadata,
    sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), primary_key=True),
    sa.Column("member_id", sa.String(_ID), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("member_kind", sa.String(20), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    # When the panel was confirmed, so a member's recent load is one indexed range.
    sa.Column("confirmed_at", UtcDateTime, nullable=False),
    sa.Index("ix_panellists_member", "member_id", "confirmed_at"),
)

opinions = sa.Table(
    "opinions",
    metadata,
    sa.Column("opinion_id", sa.String(_ID), primary_key=True),
    sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), nullable=False),
    sa.Column("member_id", sa.String(_ID), nullable=False),
    sa.Column("member_name", sa.String(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("given_at", UtcDateTime, nullable=False),
    sa.Column("recorded_by", sa.String(200), nullable=False),
    sa.Index("ix_opinions_topic", "topic_id", "given_at"),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("decision_id", sa.String(_ID), primary_key=True),
    sa.Column("topic_id", sa.String(_ID), sa.ForeignKey("topics.topic_id"), nullable=False, unique=True),
    # [{"body": ..., "name": ...}]: read and written whole with the decision.
    sa.Column("attendees", sa.Text, nullable=False),
    sa.Column("minutes", sa.Text, nullable=False),
    sa.Column("resolution", sa.Text, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
)

decision_actions = sa.Table(
    "decision_actions",
    metadata,
    sa.Column("action_id", sa.String(_ID), primary_key=True),
    sa.Column("decision_id", sa.String(_ID), sa.ForeignKey("decisions.decision_id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("tier", sa.String(20), nullable=False),
    sa.Column("owner_id", sa.String(_ID), nullable=False),
    sa.Column("owner_name", sa.String(200), nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Index("ix_decision_actions_decision", "decision_id", "position"),
)


# -- the concerns a topic holds ------------------------------------------------------------------

def holders(conn: sa.Connection, neighbourhood_id: str, concern_ids: Sequence[str]) -> dict[str, str | None]:
    """Which of these concerns are in the neighbourhood's pool: concern id -> the topic holding
    it, or None if it waits for one. Concerns not in this pool are left out."""
    ids = [concern_id for concern_id in concern_ids if looks_like_id(concern_id)]  # no other is in any pool
    rows = conn.execute(sa.select(pool.pool_entries.c.concern_id, pool.pool_entries.c.topic_id).where(
        pool.pool_entries.c.neighbourhood_id == neighbourhood_id, pool.pool_entries.c.concern_id.in_(ids))).all()
    return {row.concern_id: row.topic_id for row in rows}


def hold(conn: sa.Connection, topic_id: str, concern_ids: Sequence[str]) -> int:
    """The topic takes these pooled concerns if no topic holds them; how many it took."""
    return conn.execute(pool.pool_entries.update().where(
        pool.pool_entries.c.concern_id.in_(list(concern_ids)), pool.pool_entries.c.topic_id.is_(None),
    ).values(topic_id=topic_id)).rowcount


def release(conn: sa.Connection, topic_id: str, to_pool: bool) -> None:
    """The topic lets its concerns go: back to the pool, or out of it (closed)."""
    held = pool.pool_entries.c.topic_id == topic_id
    if to_pool:
        conn.execute(pool.pool_entries.update().where(held).values(topic_id=None))
    else:
        conn.execute(pool.pool_entries.delete().where(held))


# -- topics ------------------------------------------------------------------------------------------

def _columns(topic: Topic) -> dict[str, object]:
    count = topic.count
    return {
        "neighbourhood_id": topic.place.neighbourhood_id, "community_id": topic.place.community_id,
        "township_id": topic.place.township_id, "county_id": topic.place.county_id,
        "title": topic.title, "summary": topic.summary, "meeting_on": topic.meeting_on, "state": topic.state,
        "drafted_at": topic.drafted_at, "published_at": topic.published_at,
        "vote_closes_at": topic.vote_closes_at, "vote_closed_at": topic.vote_closed_at,
        "closed_early": topic.closed_early, "yes_votes": count.yes if count else None,
        "no_votes": count.no if count else None, "households": count.households if count else None,
        "quorum": repr(topic.rule.quorum) if topic.rule else None,
        "threshold": repr(topic.rule.threshold) if topic.rule else None,
        "rejection_reason": topic.rejection_reason, "concerns_fate": topic.concerns_fate,
        "panel_confirmed_at": topic.panel_confirmed_at, "consensus": topic.consensus,
        "consensus_at": topic.consensus_at, "decided_at": topic.decision.decided_at if topic.decision else None,
    }


def add(conn: sa.Connection, topic: Topic) -> None:
    conn.execute(topics.insert().values(topic_id=topic.topic_id, **_columns(topic)))
    conn.execute(topic_concerns.insert(), [{"topic_id": topic.topic_id, "concern_id": concern_id, "position": i}
                                           for i, concern_id in enumerate(topic.concern_ids)])
    _add_new(conn, topic)


def save(conn: sa.Connection, topic: Topic) -> None:
    """Write a loaded topic's changes (it was read with lock=True in this transaction)."""
    conn.execute(topics.update().where(topics.c.topic_id == topic.topic_id).values(**_columns(topic)))
    _add_new(conn, topic)


def save_panel(conn: sa.Connection, topic: Topic) -> None:
    conn.execute(panellists.insert(), [
        {"topic_id": topic.topic_id, "member_id": m.member_id, "name": m.name, "member_kind": m.member_kind,
         "position": i, "confirmed_at": topic.panel_confirmed_at} for i, m in enumerate(topic.panel)])


def save_decision(conn: sa.Connection, topic_id: str, decision: Decision) -> None:
    conn.execute(decisions.insert().values(
        decision_id=decision.decision_id, topic_id=topic_id, minutes=decision.minutes,
        resolution=decision.resolution, decided_at=decision.decided_at,
        attendees=json.dumps([{"body": a.body, "name": a.name} for a in decision.attendees], ensure_ascii=False)))
    conn.execute(decision_actions.insert(), [
        {"action_id": a.action_id, "decision_id": decision.decision_id, "position": i,
         "description": a.description, "tier": a.tier, "owner_id": a.owner_id, "owner_name": a.owner_name,
         "deadline": a.deadline} for i, a in enumerate(decision.actions)])


def _add_new(conn: sa.Connection, topic: Topic) -> None:
    if topic.new_history:
        conn.execute(topic_history.insert(), [
            {"topic_id": topic.topic_id, "step": h.step, "at": h.at, "note": h.note, "actor": h.actor}
            for h in topic.new_history])
    if topic.new_opinions:
        conn.execute(opinions.insert(), [
            {"opinion_id": o.opinion_id, "topic_id": topic.topic_id, "member_id": o.member_id,
             "member_name": o.member_name, "text": o.text, "given_at": o.given_at, "recorded_by": o.recorded_by}
            for o in topic.new_opinions])
    topic.new_history.clear()
    topic.new_opinions.clear()


def get(conn: sa.Connection, topic_id: str, *, lock: bool = False, share: bool = False) -> Topic | None:
    """A topic whole, or None. `lock` holds it for a change until the transaction ends; `share`
    keeps it from changing meanwhile (a vote, while the vote could close) without making other
    sharers wait."""
    query = sa.select(topics).where(topics.c.topic_id == topic_id)
    if lock or share:
        query = query.with_for_update(read=share and not lock)
    row = conn.execute(query).first()
    return _loaded(conn, [row])[0] if row else None


def get_head(conn: sa.Connection, topic_id: str, *, share: bool = False) -> Topic | None:
    """A topic's own row only, for checks on the hot path (a vote): its concerns, panel and
    decision are left out, so it must never be saved."""
    query = sa.select(topics).where(topics.c.topic_id == topic_id)
    row = conn.execute(query.with_for_update(read=True) if share else query).first()
    return _topic(row, {}, {}, {}, {}, {}) if row else None


def many(conn: sa.Connection, where: Iterable[sa.ColumnElement[bool]], order_by: Sequence[sa.ColumnElement[object]],
         limit: int) -> list[Topic]:
    rows = conn.execute(sa.select(topics).where(*where).order_by(*order_by).limit(limit)).all()
    return _loaded(conn, rows)


def _loaded(conn: sa.Connection, rows: Sequence[Any]) -> list[Topic]:
    ids = [row.topic_id for row in rows]
    concerns = _grouped(conn, sa.select(topic_concerns.c.topic_id, topic_concerns.c.concern_id)
                        .where(topic_concerns.c.topic_id.in_(ids)).order_by(topic_concerns.c.position))
    panel = _grouped(conn, sa.select(panellists).where(panellists.c.topic_id.in_(ids)).order_by(panellists.c.position))
    givers = _grouped(conn, sa.select(opinions.c.topic_id, opinions.c.member_id).where(opinions.c.topic_id.in_(ids)))
    decided = {row.topic_id: row for row in conn.execute(sa.select(decisions).where(decisions.c.topic_id.in_(ids)))}
    actions = _grouped(conn, sa.select(decision_actions, decisions.c.topic_id)
                       .join(decisions, decisions.c.decision_id == decision_actions.c.decision_id)
                       .where(decisions.c.topic_id.in_(ids)).order_by(decision_actions.c.position))
    return [_topic(row, concerns, panel, givers, decided, actions) for row in rows]


def _topic(row: Any, concerns: Grouped, panel: Grouped, givers: Grouped, decided: dict[str, Any],
           actions: Grouped) -> Topic:
    count = Count(row.yes_votes, row.no_votes, row.households) if row.yes_votes is not None else None
    decision = None
    if row.topic_id in decided:
        d = decided[row.topic_id]
        decision = Decision(d.decision_id, tuple(Attendee(**a) for a in json.loads(d.attendees)), d.minutes,
                            d.resolution, tuple(Action(a.action_id, a.description, a.deadline, a.tier, a.owner_id,
                                                       a.owner_name) for a in actions.get(row.topic_id, [])),
                            d.decided_at)
    return Topic(
        topic_id=row.topic_id,
        place=Place(row.neighbourhood_id, row.community_id, row.township_id, row.county_id),
        title=row.title, summary=row.summary,
        concern_ids=tuple(r.concern_id for r in concerns.get(row.topic_id, [])),
        meeting_on=row.meeting_on, state=row.state, drafted_at=row.drafted_at, published_at=row.published_at,
        vote_closes_at=row.vote_closes_at, vote_closed_at=row.vote_closed_at, closed_early=row.closed_early,
        count=count, rule=VoteRule(float(row.quorum), float(row.threshold)) if row.quorum else None,
        rejection_reason=row.rejection_reason, concerns_fate=row.concerns_fate,
        panel=tuple(Candidate(p.member_id, p.name, p.member_kind) for p in panel.get(row.topic_id, [])),
        panel_confirmed_at=row.panel_confirmed_at,
        opinion_givers=frozenset(r.member_id for r in givers.get(row.topic_id, [])),
        consensus=row.consensus, consensus_at=row.consensus_at, decision=decision,
    )


def _grouped(conn: sa.Connection, query: Any) -> Grouped:
    grouped: Grouped = {}
    for row in conn.execute(query):
        grouped.setdefault(row.topic_id, []).append(row)
    return grouped


def history(conn: sa.Connection, topic_id: str) -> list[HistoryEntry]:
    rows = conn.execute(sa.select(topic_history).where(topic_history.c.topic_id == topic_id)
                        .order_by(topic_history.c.seq)).all()
    return [HistoryEntry(row.step, row.at, row.note, row.actor) for row in rows]


def opinions_of(conn: sa.Connection, topic_id: str) -> list[Opinion]:
    rows = conn.execute(sa.select(opinions).where(opinions.c.topic_id == topic_id)
                        .order_by(opinions.c.given_at, opinions.c.opinion_id)).all()
    return [Opinion(r.opinion_id, r.member_id, r.member_name, r.text, r.given_at, r.recorded_by) for r in rows]


def recent_panels(conn: sa.Connection, member_ids: Sequence[str], since: object) -> dict[str, int]:
    """How many panels each member sat on since then."""
    rows = conn.execute(sa.select(panellists.c.member_id, sa.func.count()).where(
        panellists.c.member_id.in_(list(member_ids)), panellists.c.confirmed_at >= since,
    ).group_by(panellists.c.member_id)).all()
    return {row[0]: row[1] for row in rows}


def agenda(conn: sa.Connection, neighbourhood_id: str, first: date, after_last: date, states: Sequence[str],
           limit: int) -> list[Topic]:
    return many(conn, [topics.c.neighbourhood_id == neighbourhood_id, topics.c.meeting_on >= first,
                       topics.c.meeting_on < after_last, topics.c.state.in_(list(states))],
                [topics.c.meeting_on, topics.c.topic_id], limit)
