"""The tables each service's code defines are exactly what its migrations build, on SQLite and
PostgreSQL: a column, index or constraint added in one place and forgotten in the other fails here."""
from __future__ import annotations

import importlib
import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

SERVICES = ("intake", "deliberation", "dispatch", "evaluation")


def _server_defaults_differ(context, inspected_column, metadata_column, inspected_default, metadata_default,
                            rendered_metadata_default) -> bool | None:
    """The same default spelled as each database reports it: SQLite wraps it in parentheses,
    PostgreSQL adds its type ('normal'::character varying) and leaves numbers unquoted."""
    if inspected_default is None or rendered_metadata_default is None:
        return None  # alembic's own comparison

    def plain(text: str) -> str:
        return re.sub(r"::[\w ]+(\[\])?$", "", text.strip().strip("()")).strip("'")

    return plain(inspected_default) != plain(rendered_metadata_default)


def _differences(db, service: str) -> list:
    target = importlib.import_module(f"services.{service}.migrations").target_metadata()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                         "compare_server_default": _server_defaults_differ})
        return compare_metadata(context, target)


@pytest.mark.parametrize("service", SERVICES)
def test_the_code_defines_exactly_the_tables_the_migrations_build(service, database_url, migrated_db):
    differences = _differences(migrated_db(service, database_url), service)
    assert differences == [], "\n".join(map(str, differences))
