"""Evaluation's migrations (Alembic revisions under versions/)."""
from __future__ import annotations

import sqlalchemy as sa


def target_metadata() -> list[sa.MetaData]:
    """Every table evaluation's migrations build, as its code defines them: what autogenerate
    compares against, and what the drift test holds the migrations to."""
    from servicekit import audit, directory_replica, messaging_schema, settings_schema, timers
    from services.evaluation import storage
    from services.evaluation.annual import storage as annual
    from services.evaluation.matters import storage as matters
    from services.evaluation.rates import storage as rates
    from services.evaluation.reviews import storage as reviews

    return [storage.metadata, matters.metadata, rates.metadata, reviews.metadata, annual.metadata,
            messaging_schema.metadata, audit.metadata, directory_replica.metadata, timers.metadata,
            settings_schema.metadata]
