"""deploy/k8s/components/monitoring: the alerts pass `promtool check rules` and their unit tests
(`promtool test rules`), the PrometheusRule is rules.yaml's groups unchanged, every metric the rules
and the dashboard read is one the code defines (nothing stale), and the component renders in an
overlay with a monitor for each process on the port its Service names.

promtool (Debian/Ubuntu: `apt-get install prometheus`; or the Prometheus release tarball) and kubectl
are looked up on PATH: without them those tests are skipped with the reason, and with CI set they
fail instead, as PostgreSQL's tests do (tests/conftest.py).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
COMPONENT = K8S_DIR / "components" / "monitoring"
PROCESSES = ("intake", "deliberation", "dispatch", "evaluation", "gateway")
# Series the rules or dashboard may read that no lianyi code defines (Prometheus' own, exporters').
EXTERNAL_METRICS: frozenset[str] = frozenset()


def _tool(name: str, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not on PATH ({hint})"
        if os.environ.get("CI"):
            pytest.fail(reason + " (CI is set, so the monitoring checks must run)")
        pytest.skip(reason)
    return path


def _promtool() -> str:
    return _tool("promtool", "apt-get install prometheus, or a Prometheus release tarball")


def _run(*argv: str, cwd: Path = COMPONENT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def _rules() -> list[dict[str, Any]]:
    return [rule for group in yaml.safe_load((COMPONENT / "rules.yaml").read_text())["groups"]
            for rule in group["rules"]]


def _dashboard() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads((COMPONENT / "dashboard.json").read_text())
    return dashboard


def test_the_rules_pass_promtool_check():
    proc = _run(_promtool(), "check", "rules", "rules.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_alert_unit_tests_pass():
    proc = _run(_promtool(), "test", "rules", "rules_test.yaml")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_alert_is_tested_firing_and_not_firing():
    tests = yaml.safe_load((COMPONENT / "rules_test.yaml").read_text())["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]
    alerts = {rule["alert"] for rule in _rules() if "alert" in rule}
    fires = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    assert alerts - fires == set(), "alerts never shown firing"
    assert alerts - quiet == set(), "alerts never shown quiet"
    for rule in _rules():
        assert {"severity"} <= rule["labels"].keys(), rule["alert"]
        assert {"summary", "description", "runbook"} <= rule["annotations"].keys(), rule["alert"]


def _anchor(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub, GitLab) gives a heading."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.strip().lower()).replace(" ", "-")


def test_every_alert_links_to_its_own_runbook_section_in_the_deploy_readme():
    readme = (REPO_ROOT / "deploy" / "k8s" / "README.md").read_text()
    anchors = {_anchor(h) for h in re.findall(r"^#+ (.+)$", readme, flags=re.MULTILINE)}
    for rule in _rules():
        if "alert" not in rule:
            continue
        url = rule["annotations"]["runbook_url"]
        document, _, anchor = url.partition("#")
        assert document.endswith("/deploy/k8s/README.md"), url
        assert anchor == rule["alert"].lower() and anchor in anchors, f"{rule['alert']}: no section {anchor}"


def test_the_prometheus_rule_is_generated_from_rules_yaml():
    import importlib.util
    spec = importlib.util.spec_from_file_location("sync_rules", COMPONENT / "sync_rules.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (COMPONENT / "prometheusrule.yaml").read_text() == module.render(), (
        "prometheusrule.yaml is stale: run .venv/bin/python deploy/k8s/components/monitoring/sync_rules.py")


def _defined_metrics() -> set[str]:
    """Every series name the code can expose: counters with _total, histograms with their parts."""
    names: set[str] = set()
    definition = re.compile(r'\b(Counter|Gauge|Histogram|Summary)\(\s*"(lianyi_[a-z0-9_]+)"')
    for root in ("servicekit", "services"):
        for path in (REPO_ROOT / root).rglob("*.py"):
            for kind, name in definition.findall(path.read_text(encoding="utf-8")):
                if kind == "Counter":
                    base = name.removesuffix("_total")
                    names |= {base + "_total"}
                elif kind in ("Histogram", "Summary"):
                    names |= {name, name + "_count", name + "_sum"} | ({name + "_bucket"} if kind == "Histogram" else set())
                else:
                    names.add(name)
    return names


def _used_metrics(expr: str) -> set[str]:
    return set(re.findall(r"\blianyi_[a-z0-9_]+", expr))


def test_every_metric_the_rules_and_dashboard_read_is_defined_in_the_code():
    defined = _defined_metrics() | EXTERNAL_METRICS
    assert {"lianyi_outbox_backlog", "lianyi_event_lag_seconds_bucket", "lianyi_platform_oldest_pending_seconds",
            "lianyi_events_consumed_total"} <= defined  # the scan itself works
    used = {rule.get("alert", rule.get("record")): _used_metrics(rule["expr"]) for rule in _rules()}
    panels = [p for p in _dashboard()["panels"] if p.get("targets")]
    used |= {f"panel {p['title']}": set().union(*(_used_metrics(t["expr"]) for t in p["targets"])) for p in panels}
    used["dashboard variables"] = set().union(
        *(_used_metrics(json.dumps(v)) for v in _dashboard()["templating"]["list"]))
    stale = {where: sorted(names - defined) for where, names in used.items() if names - defined}
    assert stale == {}, "metrics no code defines (renamed or removed?)"
    assert all(used.values()), [where for where, names in used.items() if not names]


def _render_with_the_component(tmp_path: Path) -> list[dict[str, Any]]:
    kubectl = _tool("kubectl", "needed to render the component with `kubectl kustomize`")
    # kustomize refuses absolute paths outside the kustomization's root: copy, then a throwaway overlay.
    shutil.copytree(K8S_DIR / "base", tmp_path / "base")
    shutil.copytree(COMPONENT, tmp_path / "components" / "monitoring")
    overlay = tmp_path / "overlays" / "check"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: lianyi-check\n"
        "resources: [../../base]\ncomponents: [../../components/monitoring]\n")
    proc = _run(kubectl, "kustomize", str(overlay), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return [o for o in yaml.safe_load_all(proc.stdout) if o]


def test_the_component_renders_a_monitor_per_process_on_its_services_metrics_port(tmp_path):
    objects = _render_with_the_component(tmp_path)
    of = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    assert all(o["metadata"].get("namespace") == "lianyi-check"
               for o in objects if o["kind"] in ("ServiceMonitor", "PrometheusRule", "ConfigMap"))
    for name in PROCESSES:
        monitor, service = of[("ServiceMonitor", name)], of[("Service", name)]
        assert monitor["spec"]["selector"] == {"matchLabels": {"app.kubernetes.io/name": name}}
        assert service["metadata"]["labels"]["app.kubernetes.io/name"] == name
        ports = {p["name"] for p in service["spec"]["ports"]}
        [endpoint] = monitor["spec"]["endpoints"]
        assert endpoint["port"] in ports and endpoint["path"] == "/metrics"
        assert endpoint["port"] == "http-metrics", "never the gateway's public port"
    rule = of[("PrometheusRule", "lianyi")]
    assert rule["spec"]["groups"] == yaml.safe_load((COMPONENT / "rules.yaml").read_text())["groups"]
    dashboard = of[("ConfigMap", "lianyi-dashboard")]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(dashboard["data"]["lianyi.json"]) == _dashboard()
