"""Intake's migrations (Alembic revisions under versions/)."""
from __future__ import annotations

import sqlalchemy as sa


def target_metadata() -> list[sa.MetaData]:
    """Every table intake's migrations build, as its code defines them: what autogenerate compares
    against, and what the drift test holds the migrations to. Intake's areas each define their
    tables on intake's one metadata, so each is imported here."""
    from servicekit import audit, messaging_schema, settings_schema, timers
    from services.intake import storage
    from services.intake.accounts import storage as accounts  # noqa: F401 (defines its tables)
    from services.intake.directory import storage as directory  # noqa: F401
    from services.intake.talks import storage as talks  # noqa: F401
    from services.intake.timeline import storage as timeline  # noqa: F401
    from services.intake.visits import storage as visits  # noqa: F401

    return [storage.metadata, messaging_schema.metadata, audit.metadata, timers.metadata,
            settings_schema.metadata]
