"""The production image holds the services and their runtime, never the local-run harness.

`localrun/` starts processes on this machine (and is where test-only powers such as moving time
belong), so it must not reach the image. The Dockerfile copies the build context (`COPY . .`)
and installs it with `pip install --no-deps .`; these tests read the Dockerfile, .dockerignore and
pyproject.toml and work out what that installs, without Docker.
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import setuptools

REPO_ROOT = Path(__file__).resolve().parents[2]
HARNESS = "localrun"
PRODUCTION_PACKAGES = ("servicekit", "services")


def _ignore_rules() -> list[tuple[bool, re.Pattern]]:
    """.dockerignore as (re-include?, pattern) in file order; Docker lets the last match decide."""
    rules = []
    for raw in (REPO_ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((negated, _pattern(os.path.normpath(line.lstrip("!").strip()).lstrip("/"))))
    return rules


def _pattern(glob: str) -> re.Pattern:
    """Docker's glob (the subset this repository uses): `**` any depth, `*` and `?` within one
    path element, `[...]` a character class."""
    regex, i = "", 0
    while i < len(glob):
        if glob.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif glob.startswith("**", i):
            regex, i = regex + ".*", i + 2
        elif glob[i] == "*":
            regex, i = regex + "[^/]*", i + 1
        elif glob[i] == "?":
            regex, i = regex + "[^/]", i + 1
        elif glob[i] == "[" and "]" in glob[i:]:
            end = glob.index("]", i)
            regex, i = regex + glob[i:end + 1], end + 1
        else:
            regex, i = regex + re.escape(glob[i]), i + 1
    return re.compile(regex + r"\Z")


def _ignored(path: str, rules: list[tuple[bool, re.Pattern]]) -> bool:
    """Whether Docker leaves `path` (relative, with /) out of the build context: a pattern matching
    a directory above the path counts as matching the path."""
    prefixes = [path] + ["/".join(path.split("/")[:n]) for n in range(1, path.count("/") + 1)]
    ignored = False
    for negated, pattern in rules:
        if any(pattern.match(p) for p in prefixes):
            ignored = not negated
    return ignored


def _packages(root: Path, rules: list[tuple[bool, re.Pattern]] | None, scratch: Path) -> set[str]:
    """What pyproject's package finder installs from `root`, seeing only the build context when
    `rules` is given (packages are found by their __init__.py, so only those are mirrored)."""
    include = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"][
        "include"]
    can_prune = rules is not None and not any(negated for negated, _ in rules)
    for directory, subdirs, files in os.walk(root):
        rel = Path(directory).relative_to(root).as_posix()
        rel = "" if rel == "." else rel + "/"
        if rules is None and not rel:
            subdirs[:] = [d for d in subdirs if not d.startswith(".")]  # .git, .venv
        if can_prune:
            subdirs[:] = [d for d in subdirs if not _ignored(rel + d, rules)]
        if "__init__.py" in files and (rules is None or not _ignored(rel + "__init__.py", rules)):
            (scratch / rel).mkdir(parents=True, exist_ok=True)
            (scratch / rel / "__init__.py").touch()
    return set(setuptools.find_packages(where=str(scratch), include=include))


def test_the_build_context_leaves_the_local_run_harness_out_of_the_installed_packages(tmp_path):
    everything = _packages(REPO_ROOT, None, tmp_path / "repository")
    assert HARNESS in everything, "pyproject installs localrun for development; the context must drop it"
    in_image = _packages(REPO_ROOT, _ignore_rules(), tmp_path / "context")
    assert set(PRODUCTION_PACKAGES) <= in_image
    assert not {p for p in in_image if p == HARNESS or p.startswith(HARNESS + ".")}, (
        "localrun would be installed into the image: keep it in .dockerignore")


def _dockerfile_runs() -> list[str]:
    """The Dockerfile's RUN instructions, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (REPO_ROOT / "Dockerfile").read_text())
    return [line[4:] for line in text.splitlines() if line.startswith("RUN ")]


def test_the_image_build_fails_if_the_harness_is_importable_where_the_project_is_installed():
    installing = [run for run in _dockerfile_runs() if "pip install --no-deps ." in run]
    assert len(installing) == 1, installing
    # The check runs after the install, away from the source tree, on the image's interpreter.
    after_install = installing[0].split("pip install --no-deps .", 1)[1]
    assert "cd /" in after_install
    checks = re.findall(r'python -c "([^"]*)"', after_install)
    guard = [c for c in checks if HARNESS in c]
    assert len(guard) == 1, f"the Dockerfile must check localrun is not importable: {checks}"

    # Where localrun is importable (here, in the development environment) the check fails the build...
    present = subprocess.run([sys.executable, "-c", guard[0]], cwd=REPO_ROOT, capture_output=True, text=True)
    assert present.returncode != 0 and HARNESS in present.stderr
    # ...and where it is not (no site-packages, no source tree), the check lets the build pass.
    absent = subprocess.run([sys.executable, "-I", "-S", "-c", guard[0]], cwd="/", capture_output=True, text=True)
    assert absent.returncode == 0, absent.stderr


def test_no_production_module_imports_the_harness():
    offenders = []
    for package in PRODUCTION_PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                if any(n == HARNESS or n.startswith(HARNESS + ".") for n in names):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == [], f"the image has no localrun, so these would fail in production: {offenders}"
