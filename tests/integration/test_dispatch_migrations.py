"""Dispatch's migrations on SQLite and PostgreSQL: handling candidates becoming tasks (0005) keep
their rows, get their household's building, and the table looks as one built new would; decided
actions (0010) come and go without touching the tasks."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from servicekit import migrations
from servicekit.database import Database

AT = datetime(2026, 11, 2, 9, 0)
CANDIDATE = "INSERT INTO handling_candidates (concern_id, neighbourhood_id, household_id, category, received_at) " \
            "VALUES (:id, 'nb-1', :household, 'noise', :at)"
ENTITY = "INSERT INTO directory_replica (entity_id, kind, parent_id, scope_path, name, attributes, version, " \
         "updated_at) VALUES (:id, :kind, :parent, :path, :id, '{}', 1, :at)"


def _tasks(db: Database) -> dict[str, tuple[str, str]]:
    with db.read() as conn:
        rows = conn.execute(sa.text("SELECT concern_id, building_id, urgency FROM tasks")).all()
    return {row.concern_id: (row.building_id, row.urgency) for row in rows}


def _primary_key_name(db: Database) -> str | None:
    return sa.inspect(db.engine).get_pk_constraint("tasks")["name"]


def test_candidates_become_tasks_with_their_households_building_and_back(database_url):
    db = Database(database_url)
    try:
        migrations.upgrade(db, "dispatch", "0004")
        with db.write() as tx:
            for entity, kind, parent in (("nb-1", "neighbourhood", None), ("b-1", "building", "nb-1"),
                                         ("h-1", "household", "b-1")):
                tx.conn.execute(sa.text(ENTITY), {"id": entity, "kind": kind, "parent": parent, "path": entity,
                                                  "at": AT})
            for concern, household in (("c-with-household", "h-1"), ("c-without", ""), ("c-unknown", "h-9")):
                tx.conn.execute(sa.text(CANDIDATE), {"id": concern, "household": household, "at": AT})

        migrations.upgrade(db, "dispatch", "0011")
        assert _tasks(db) == {"c-with-household": ("b-1", "normal"), "c-without": ("", "normal"),
                              "c-unknown": ("", "normal")}
        unnamed = db.engine.dialect.name == "sqlite"  # SQLite's keys have no name
        assert _primary_key_name(db) == (None if unnamed else "tasks_pkey")  # as a new table's key is named

        migrations.downgrade(db, "dispatch", "0004")
        assert sa.inspect(db.engine).get_pk_constraint("handling_candidates")["name"] == (
            None if unnamed else "handling_candidates_pkey")
        migrations.upgrade(db, "dispatch", "0011")
        assert set(_tasks(db)) == {"c-with-household", "c-without", "c-unknown"}
    finally:
        db.dispose()


def test_decided_actions_come_and_go_beside_the_tasks(database_url):
    db = Database(database_url)
    try:
        migrations.upgrade(db, "dispatch", "0009")
        with db.write() as tx:
            tx.conn.execute(sa.text("INSERT INTO tasks (concern_id, neighbourhood_id, household_id, category, "
                                    "received_at) VALUES ('c-1', 'nb-1', '', 'noise', :at)"), {"at": AT})
        migrations.upgrade(db, "dispatch", "0011")
        assert "decided_actions" in sa.inspect(db.engine).get_table_names()
        migrations.downgrade(db, "dispatch", "0009")
        assert "decided_actions" not in sa.inspect(db.engine).get_table_names()
        assert set(_tasks(db)) == {"c-1"}
    finally:
        db.dispose()


def test_concerns_opened_before_handling_become_pool_tasks_and_back(database_url):
    """0012: the table of concerns is renamed, and each concern opened for handling before becomes
    an individual task in its neighbourhood's pool, due a week after it opened."""
    db = Database(database_url)
    try:
        migrations.upgrade(db, "dispatch", "0011")
        with db.write() as tx:
            tx.conn.execute(sa.text(ENTITY), {"id": "nb-1", "kind": "neighbourhood", "parent": "cm-1",
                                              "path": "/ct-1/tw-1/cm-1/nb-1/", "at": AT})
            for concern in ("c-opened", "c-waiting"):
                tx.conn.execute(sa.text(CANDIDATE.replace("handling_candidates", "tasks")),
                                {"id": concern, "household": "", "at": AT})
            tx.conn.execute(sa.text("UPDATE tasks SET route = 'direct', opened_at = :at WHERE concern_id = 'c-opened'"),
                            {"at": AT})
        migrations.upgrade(db, "dispatch", "0012")
        with db.read() as conn:
            concerns = conn.execute(sa.text("SELECT concern_id FROM concerns ORDER BY concern_id")).scalars().all()
            tasks = conn.execute(sa.text("SELECT task_id, place_path, tier, state, concern_ids FROM tasks")).all()
        assert concerns == ["c-opened", "c-waiting"]
        assert [tuple(row) for row in tasks] == [("c-opened", "/ct-1/tw-1/cm-1/nb-1/", "individual", "open",
                                                   '["c-opened"]')]
        with db.read() as conn:
            timers = conn.execute(sa.text("SELECT kind, subject_id FROM timers ORDER BY kind")).all()
        assert [tuple(row) for row in timers] == [("dispatch.task_overdue", "c-opened"),
                                                  ("dispatch.task_reminder", "c-opened")]
        migrations.downgrade(db, "dispatch", "0011")
        assert set(_tasks(db)) == {"c-opened", "c-waiting"}
    finally:
        db.dispose()
