"""The audit log: every state change a caller makes, recorded in the same transaction as the
change (who, in which role, what, when, under which correlation id), and served to county
administrators. Summaries carry no personal data."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations

from lianyi.audit.v1 import audit_service_pb2 as pb
from lianyi.audit.v1 import audit_service_pb2_grpc as pb_grpc
from servicekit import auth, logs, moments, paging
from servicekit.clock import Clock
from servicekit.database import Database, Transaction, UtcDateTime
from servicekit.grpc_server import Registration

SUMMARY_MAX_CHARS = 300


def _define_v1(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "audit_log",
        metadata,
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("recorded_at", UtcDateTime, nullable=False, index=True),
        sa.Column("actor", sa.String(100), nullable=False, index=True),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("action", sa.String(60), nullable=False, index=True),
        sa.Column("target_kind", sa.String(40), nullable=False),
        sa.Column("target_id", sa.String(100), nullable=False),
        sa.Column("correlation_id", sa.String(100), nullable=False),
        sa.Column("summary", sa.String(SUMMARY_MAX_CHARS), nullable=False),
    )


metadata = sa.MetaData()
audit_log = _define_v1(metadata)
_INSERT = audit_log.insert()


def create_v1(op: Operations) -> None:
    """Create the audit table from a service's Alembic migration."""
    _define_v1(sa.MetaData()).create(op.get_bind())


class AuditLog:
    def __init__(self, db: Database, clock: Clock):
        self.db, self.clock = db, clock

    def record(self, tx: Transaction, action: str, target_kind: str, target_id: str, summary: str = "") -> None:
        """Record a change made in `tx` by the current caller (or "system" without one)."""
        principal = auth.current.get()
        tx.conn.execute(_INSERT, {
            "recorded_at": self.clock.now(),
            "actor": principal.subject if principal else "system",
            "role": principal.role if principal else "system",
            "action": action, "target_kind": target_kind, "target_id": target_id,
            "correlation_id": logs.correlation_id.get(), "summary": summary[:SUMMARY_MAX_CHARS],
        })

    def entries(self, *, actor: str = "", action: str = "", since: datetime | None = None,
                until: datetime | None = None, page_size: int = 0, page_token: str = ""
                ) -> tuple[list[sa.Row[Any]], str]:
        limit, after = paging.page_size(page_size), paging.decode_token(page_token)
        query = sa.select(audit_log).where(audit_log.c.seq > after)
        if actor:
            query = query.where(audit_log.c.actor == actor)
        if action:
            query = query.where(audit_log.c.action == action)
        if since:
            query = query.where(audit_log.c.recorded_at >= since)
        if until:
            query = query.where(audit_log.c.recorded_at < until)
        with self.db.read() as conn:
            rows = conn.execute(query.order_by(audit_log.c.seq).limit(limit + 1)).all()
        return paging.one_page(rows, limit, lambda row: paging.encode_token(row.seq))

    def registration(self) -> Registration:
        return Registration("lianyi.audit.v1.AuditService", AuditServicer(self),
                            pb_grpc.add_AuditServiceServicer_to_server)


class AuditServicer(pb_grpc.AuditServiceServicer):
    def __init__(self, log: AuditLog):
        self.log = log

    def ListAuditEntries(self, request: pb.ListAuditEntriesRequest, context: object) -> pb.ListAuditEntriesResponse:
        rows, token = self.log.entries(actor=request.actor, action=request.action,
                                       since=moments.requested(request, "since"),
                                       until=moments.requested(request, "until"), page_size=request.page_size,
                                       page_token=request.page_token)
        response = pb.ListAuditEntriesResponse(next_page_token=token)
        for row in rows:
            entry = response.entries.add(seq=row.seq, actor=row.actor, role=row.role, action=row.action,
                                         target_kind=row.target_kind, target_id=row.target_id,
                                         correlation_id=row.correlation_id, summary=row.summary)
            entry.recorded_at.FromDatetime(row.recorded_at)
        return response
