"""The tables county settings keep in each service's database (servicekit.settings_store reads
and writes them): the values, and the last version of each place and qualifier of a setting.

A service's migration calls `create_v1`, and a later one `upgrade_to_v2`. The schema is defined
by version so old migrations keep meaning what they meant.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import Operations

from servicekit.county_settings import KEY_MAX_CHARS, QUALIFIER_MAX_CHARS
from servicekit.database import UtcDateTime
from servicekit.settings_access import SCOPE_ID_MAX_CHARS

UPDATED_BY_MAX_CHARS = 100


def _define_v1(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "county_settings",
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("key", sa.String(KEY_MAX_CHARS), nullable=False),
        # "*" for the whole deployment, or the directory id of a county, township, community or neighbourhood.
        sa.Column("scope_id", sa.String(SCOPE_ID_MAX_CHARS), nullable=False),
        sa.Column("qualifier", sa.String(QUALIFIER_MAX_CHARS), nullable=False, server_default=""),
        sa.Column("value", sa.Text, nullable=False),  # JSON
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("updated_by", sa.String(UPDATED_BY_MAX_CHARS), nullable=False),
        # Also the index every read uses: a key's values at the places on one path.
        sa.UniqueConstraint("key", "scope_id", "qualifier", name="uq_county_settings_key_scope_qualifier"),
    )


def _define_v2(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    settings = _define_v1(metadata)
    # The last version given to each place and qualifier of a setting, kept when its value is
    # cleared: the next value goes on from it, so versions never go back. Every change takes its
    # row's lock first, so two changes to one place and qualifier take turns.
    versions = sa.Table(
        "county_setting_versions",
        metadata,
        sa.Column("key", sa.String(KEY_MAX_CHARS), primary_key=True),
        sa.Column("scope_id", sa.String(SCOPE_ID_MAX_CHARS), primary_key=True),
        sa.Column("qualifier", sa.String(QUALIFIER_MAX_CHARS), primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    return settings, versions


# The schema the running code uses: v2.
metadata = sa.MetaData()
county_settings, county_setting_versions = _define_v2(metadata)


def create_v1(op: Operations) -> None:
    """Create the v1 county_settings table from a service's Alembic migration."""
    _define_v1(sa.MetaData()).create(op.get_bind())


def drop_v1(op: Operations) -> None:
    """Drop what create_v1 created."""
    _define_v1(sa.MetaData()).drop(op.get_bind())


def upgrade_to_v2(op: Operations) -> None:
    """Keep versions beside the values, each value's going on from its own."""
    settings, versions = _define_v2(sa.MetaData())
    versions.create(op.get_bind())
    op.execute(versions.insert().from_select(
        ["key", "scope_id", "qualifier", "version"],
        sa.select(settings.c.key, settings.c.scope_id, settings.c.qualifier, settings.c.version)))


def downgrade_to_v1(op: Operations) -> None:
    """Drop what upgrade_to_v2 added (the values keep their last versions)."""
    _define_v2(sa.MetaData())[1].drop(op.get_bind())
