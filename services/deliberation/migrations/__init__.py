"""Deliberation's migrations (Alembic revisions under versions/)."""
from __future__ import annotations

import sqlalchemy as sa


def target_metadata() -> list[sa.MetaData]:
    """Every table deliberation's migrations build, as its code defines them: what autogenerate
    compares against, and what the drift test holds the migrations to."""
    from servicekit import audit, directory_replica, messaging_schema, settings_schema, timers
    from services.deliberation import storage
    from services.deliberation.progress import storage as progress
    from services.deliberation.topics import storage as topics
    from services.deliberation.votes import storage as votes

    return [storage.metadata, topics.metadata, votes.metadata, progress.metadata, messaging_schema.metadata, audit.metadata,
            directory_replica.metadata, timers.metadata, settings_schema.metadata]
