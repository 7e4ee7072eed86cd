"""The tables every service keeps for reliable messaging: outbox, inbox and relay lease.

Each service's first migration calls `create_v1`, and later ones `upgrade_to_v2` and
`upgrade_to_v3`. The schema is defined by version so old migrations keep meaning what they meant.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from servicekit.database import UtcDateTime


def _define_v1(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    outbox = sa.Table(
        "outbox",
        metadata,
        # Autoincrement order is publication order: it keeps each neighbourhood's events in order.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("message_key", sa.String(200), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        # Kept after publishing so the log can be replayed into a broker that forgot it
        # (Tansu is memory-only).
        sa.Column("published_at", UtcDateTime, nullable=True),
    )
    sa.Index(
        "ix_outbox_unpublished",
        outbox.c.id,
        sqlite_where=outbox.c.published_at.is_(None),
        postgresql_where=outbox.c.published_at.is_(None),
    )
    inbox = sa.Table(
        "inbox",
        metadata,
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("topic", sa.String(200), nullable=False),
        sa.Column("applied_at", UtcDateTime, nullable=False),
    )
    relay_lease = sa.Table(
        "relay_lease",
        metadata,
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=True),
        sa.Column("expires_at", UtcDateTime, nullable=True),
    )
    return outbox, inbox, relay_lease


def _define_v2(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    outbox, inbox, relay_lease = _define_v1(metadata)
    # The fencing token: it grows whenever the lease changes hands, so a relay that outlived its
    # lease is told apart from its successor when it tries to mark rows published.
    relay_lease.append_column(_generation())
    return outbox, inbox, relay_lease


def _generation() -> sa.Column[int]:
    return sa.Column("generation", sa.BigInteger, nullable=False, server_default="0")


def _define_v3(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    outbox, inbox, relay_lease = _define_v2(metadata)
    # Housekeeping deletes inbox rows by age in small batches (servicekit.housekeeping): without
    # this index every batch would read the whole table.
    sa.Index(_INBOX_BY_AGE, inbox.c.applied_at)
    return outbox, inbox, relay_lease


_INBOX_BY_AGE = "ix_inbox_applied_at"

# The schema the running code uses: v3.
metadata = sa.MetaData()
outbox, inbox, relay_lease = _define_v3(metadata)


def create_v1(op: Operations) -> None:
    """Create the v1 messaging tables from an Alembic migration."""
    tables = _define_v1(sa.MetaData())
    for table in tables:
        table.create(op.get_bind())
    op.execute(tables[2].insert().values(name="outbox", holder=None, expires_at=None))


def drop_v1(op: Operations) -> None:
    """Drop the v1 messaging tables (the first migration's downgrade)."""
    for table in reversed(_define_v1(sa.MetaData())):
        table.drop(op.get_bind())


def upgrade_to_v2(op: Operations) -> None:
    """v1 to v2 from an Alembic migration: the relay lease gets its generation."""
    with op.batch_alter_table("relay_lease") as batch:
        batch.add_column(_generation())


def downgrade_to_v1(op: Operations) -> None:
    """v2 back to v1 from an Alembic migration."""
    with op.batch_alter_table("relay_lease") as batch:
        batch.drop_column("generation")


def upgrade_to_v3(op: Operations) -> None:
    """v2 to v3 from an Alembic migration: the inbox is indexed by when each event was applied."""
    op.create_index(_INBOX_BY_AGE, "inbox", ["applied_at"])


def downgrade_to_v2(op: Operations) -> None:
    """v3 back to v2 from an Alembic migration."""
    op.drop_index(_INBOX_BY_AGE, table_name="inbox")
