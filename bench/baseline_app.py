"""The bare baseline: a minimal Flask endpoint inserting the same concern row into SQLite,
with the same SQLite settings (WAL, synchronous=NORMAL) the services use."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from datetime import UTC, datetime

from flask import Flask, request

_local = threading.local()


def _connection() -> sqlite3.Connection:
    if not hasattr(_local, "conn"):
        conn = sqlite3.connect(os.environ["BASELINE_DB"], isolation_level=None, timeout=30)
        conn.execute("PRAGMA synchronous = NORMAL")
        _local.conn = conn
    return _local.conn


def prepare(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS concerns (concern_id TEXT PRIMARY KEY, neighbourhood_id TEXT NOT NULL,"
        " household_id TEXT NOT NULL, channel TEXT NOT NULL, category TEXT NOT NULL, description TEXT NOT NULL,"
        " reporter_name TEXT, reporter_phone TEXT, status TEXT NOT NULL, received_at TIMESTAMP NOT NULL)"
    )
    conn.close()


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/api/v1/concerns")
    def submit():
        body = json.loads(request.get_data())
        row = (str(uuid.uuid4()), body["neighbourhood_id"], body.get("household_id") or "", body["channel"],
               body["category"], body["description"], None, None, "received",
               datetime.now(UTC).isoformat())
        conn = _connection()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO concerns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        conn.execute("COMMIT")
        return {"concern_id": row[0]}, 201

    return app
