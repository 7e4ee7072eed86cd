"""proto/ against its committed contract (proto/contract.binpb), and buf lint on it."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.buf_cli import (
    REPOSITORY,
    SNAPSHOT,
    breaking_changes,
    build_image,
    descriptor_set,
    lint_problems,
)

RESNAPSHOT = "run `make proto-snapshot` and commit proto/contract.binpb"


def _committed_snapshot() -> Path:
    if not SNAPSHOT.is_file():
        pytest.fail(f"{SNAPSHOT.relative_to(REPOSITORY)} is missing: {RESNAPSHOT}", pytrace=False)
    return SNAPSHOT


def test_proto_has_no_breaking_change_against_the_committed_contract():
    findings = breaking_changes(REPOSITORY, _committed_snapshot())
    if findings:
        pytest.fail(
            "proto/ breaks the committed contract (wire or JSON compatibility of stored events, or gRPC "
            "between versions). Reserve removed field numbers and names, add rather than change; only "
            f"if the break is deliberate and every reader is ready, {RESNAPSHOT}.\n"
            + "\n".join(map(str, findings)),
            pytrace=False,
        )


def test_committed_contract_is_what_proto_builds_today(tmp_path):
    built = {f.name: f for f in descriptor_set(build_image(REPOSITORY, tmp_path / "contract.binpb")).file}
    committed = {f.name: f for f in descriptor_set(_committed_snapshot()).file}
    if built != committed:
        added = sorted(built.keys() - committed.keys())
        removed = sorted(committed.keys() - built.keys())
        changed = sorted(name for name in built.keys() & committed.keys() if built[name] != committed[name])
        pytest.fail(
            f"proto/contract.binpb is not what proto/ builds today (files added {added}, removed "
            f"{removed}, changed {changed}): {RESNAPSHOT}, once the breaking-change test passes or "
            "the break is deliberate",
            pytrace=False,
        )


def test_proto_passes_buf_lint():
    problems = lint_problems(REPOSITORY)
    assert not problems, "buf lint (see buf.yaml):\n" + "\n".join(map(str, problems))
