"""Write prometheusrule.yaml (the Prometheus Operator object) from rules.yaml, its groups unchanged.
Run after editing rules.yaml: `.venv/bin/python deploy/k8s/components/monitoring/sync_rules.py`;
tests/deploy/test_monitoring.py fails while the two differ."""
from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).parent
HEADER = "# Generated from rules.yaml by sync_rules.py: edit rules.yaml, then run it.\n"


class _Dumper(yaml.SafeDumper):
    """Multi-line expressions as literal blocks, as in rules.yaml, so the object stays readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def render() -> str:
    groups = yaml.safe_load((HERE / "rules.yaml").read_text())["groups"]
    rule = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": "lianyi", "labels": {"app.kubernetes.io/name": "lianyi-alerts"}},
        "spec": {"groups": groups},
    }
    return HEADER + yaml.dump(rule, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)


if __name__ == "__main__":
    (HERE / "prometheusrule.yaml").write_text(render())
