"""Which database errors pass (a consumer or timer runner waits them out) and which repeat (counted
and, in the end, given up on): real errors from SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from servicekit.database import Database, is_outage


def _error_of(db: Database, statement: str) -> BaseException:
    with pytest.raises(sa.exc.DBAPIError) as caught, db.read() as conn:
        conn.execute(sa.text(statement))
    return caught.value


def test_a_statement_the_database_cannot_run_is_no_outage(database_url):
    db = Database(database_url)
    try:
        assert not is_outage(_error_of(db, "SELECT no_such_column FROM no_such_table"))
    finally:
        db.dispose()


def test_a_row_locked_by_another_transaction_is_an_outage(database_url):
    """Another writer holds what we need: it passes when that transaction ends."""
    db = Database(database_url)
    try:
        with db.write() as tx:
            tx.conn.execute(sa.text("CREATE TABLE held (id INTEGER PRIMARY KEY)"))
            tx.conn.execute(sa.text("INSERT INTO held VALUES (1)"))
        other = sa.create_engine(db.engine.url, connect_args={"timeout": 0} if db.backend == "sqlite" else {})
        with db.engine.connect() as holder, holder.begin():
            holder.execute(sa.text("UPDATE held SET id = 1"))
            with pytest.raises(sa.exc.DBAPIError) as caught, other.connect() as conn:
                if db.backend == "sqlite":
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    conn.execute(sa.text("SELECT id FROM held FOR UPDATE NOWAIT"))
        other.dispose()
        assert is_outage(caught.value), caught.value
    finally:
        db.dispose()


def test_a_server_that_cannot_be_reached_is_an_outage():
    engine = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    with pytest.raises(sa.exc.OperationalError) as caught:
        engine.connect()
    assert is_outage(caught.value)


def test_anything_that_is_not_a_database_error_is_no_outage():
    assert not is_outage(ValueError("a bug"))


def test_a_full_disk_is_an_outage(database_url, tmp_path):
    """SQLite says so when a file may not grow (max_page_count stands in for the disk here);
    PostgreSQL's disk-full is class 53, as a read-only standby after a failover is 25006."""
    db = Database(database_url)
    try:
        if db.backend == "sqlite":
            with pytest.raises(sa.exc.DBAPIError) as caught, db.write() as tx:
                tx.conn.execute(sa.text("CREATE TABLE filler (text TEXT)"))
                tx.conn.exec_driver_sql("PRAGMA max_page_count = 8")
                for _ in range(100):
                    tx.conn.execute(sa.text("INSERT INTO filler VALUES (:text)"), {"text": "x" * 4000})
        else:
            with pytest.raises(sa.exc.DBAPIError) as caught, db.engine.connect() as conn:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                conn.exec_driver_sql("CREATE TABLE filler (text TEXT)")
        assert is_outage(caught.value), caught.value
    finally:
        db.dispose()


@pytest.mark.postgres
def test_a_statement_that_times_out_is_no_outage_it_would_time_out_again(postgres_url):
    """PostgreSQL's statement timeout (SQLite has none)."""
    db = Database(postgres_url)
    try:
        with pytest.raises(sa.exc.DBAPIError) as caught, db.engine.connect() as conn:
            conn.exec_driver_sql("SET statement_timeout = 1")
            conn.exec_driver_sql("SELECT pg_sleep(1)")
        assert not is_outage(caught.value), caught.value
    finally:
        db.dispose()
