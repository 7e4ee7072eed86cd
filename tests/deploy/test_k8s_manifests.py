"""The Kubernetes base (deploy/k8s/base) renders with kustomize into a complete, locked-down deployment.

The base is rendered with `kubectl kustomize` exactly as an overlay or CI would see it, and the rendered
objects are checked for what production relies on: the five processes each with a Deployment, Service,
ServiceAccount and ConfigMap; non-root, read-only containers with resource requests and limits; native
gRPC probes on the domain services; pinned images; env references that resolve. When
`kubernetes-validate` is installed, every object is also validated against the Kubernetes schema (strict).

No cluster is needed. Without `kubectl` on PATH the whole module is skipped.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BASE_DIR = REPO_ROOT / "deploy" / "k8s" / "base"

DOMAIN_SERVICES = ("intake", "deliberation", "dispatch", "evaluation")
PROCESSES = (*DOMAIN_SERVICES, "gateway")
# Provided outside the base (CloudNativePG in production), documented in the manifests.
# Secrets the base names but does not hold, and the keys read from each.
EXTERNAL_SECRETS = {f"{name}-database": {"url"} for name in DOMAIN_SERVICES} | {
    "lianyi-auth": {"signing-key"}, "dispatch-platform": {"url", "secret"}}
GRPC_PORT = 50051
HTTP_METRICS_PORT = 9100
GATEWAY_HTTP_PORT = 8080
# The oldest Kubernetes minor the base is written for (native gRPC probes are GA since 1.27).
KUBERNETES_VERSION = "1.32"
NON_ROOT_UID = 10001

Obj = dict[str, Any]


def _parse_yaml_stream(text: str, kubectl: str) -> list[Obj]:
    """Parse kustomize's multi-document YAML output into objects.

    PyYAML when it is installed; otherwise kubectl itself converts the stream to JSON offline:
    `annotate --local` with a removal of an annotation nobody sets changes nothing but adds an
    empty `annotations` map, which is dropped again here.
    """
    try:
        import yaml
    except ImportError:
        yaml = None
    if yaml is not None:
        return [doc for doc in yaml.safe_load_all(text) if doc]

    proc = subprocess.run(
        [kubectl, "annotate", "--local", "-f", "-", "-o", "json", "lianyi.test/unused-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"kubectl could not convert the render to JSON:\n{proc.stderr}"
    decoder = json.JSONDecoder()
    objects: list[Obj] = []
    out, pos = proc.stdout, 0
    while True:
        while pos < len(out) and out[pos].isspace():
            pos += 1
        if pos >= len(out):
            break
        obj, pos = decoder.raw_decode(out, pos)
        items = obj["items"] if obj.get("kind") == "List" else [obj]
        for item in items:
            if item.get("metadata", {}).get("annotations") == {}:
                del item["metadata"]["annotations"]
            objects.append(item)
    return objects


@pytest.fixture(scope="module")
def rendered() -> list[Obj]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not on PATH: cannot render deploy/k8s/base with `kubectl kustomize`")
    proc = subprocess.run(
        [kubectl, "kustomize", str(BASE_DIR)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, f"kubectl kustomize {BASE_DIR} failed:\n{proc.stderr}"
    objects = _parse_yaml_stream(proc.stdout, kubectl)
    assert objects, "the render is empty"
    return objects


def _of_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _pod_specs(objects: list[Obj]) -> dict[str, Obj]:
    return {name: d["spec"]["template"]["spec"] for name, d in _of_kind(objects, "Deployment").items()}


def _containers(pod_spec: Obj) -> Iterator[Obj]:
    yield from pod_spec.get("initContainers", [])
    yield from pod_spec["containers"]


def _all_containers(objects: list[Obj]) -> Iterator[tuple[str, Obj]]:
    for name, spec in _pod_specs(objects).items():
        for container in _containers(spec):
            yield f"{name}/{container['name']}", container


def _main_container(objects: list[Obj], name: str) -> Obj:
    (container,) = [c for c in _pod_specs(objects)[name]["containers"] if c["name"] == name]
    return container


def test_renders_exactly_five_deployments_each_with_service_account_config_map_and_service(rendered):
    assert sorted(_of_kind(rendered, "Deployment")) == sorted(PROCESSES)
    for kind in ("Service", "ServiceAccount", "ConfigMap"):
        assert sorted(_of_kind(rendered, kind)) == sorted(PROCESSES), kind
    duplicates = [k for k, n in Counter((o["kind"], o["metadata"]["name"]) for o in rendered).items() if n > 1]
    assert not duplicates


def test_every_object_is_namespace_less_and_labelled_part_of_lianyi(rendered):
    for obj in rendered:
        meta = obj["metadata"]
        where = f"{obj['kind']}/{meta['name']}"
        assert "namespace" not in meta, f"{where}: the base leaves the namespace to overlays"
        assert meta.get("labels", {}).get("app.kubernetes.io/part-of") == "lianyi", where
        assert meta["labels"].get("app.kubernetes.io/name") in PROCESSES, where
    for name, deployment in _of_kind(rendered, "Deployment").items():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pod_labels["app.kubernetes.io/name"] == name
        assert pod_labels["app.kubernetes.io/part-of"] == "lianyi"
        assert deployment["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}


def test_pods_use_their_own_service_account_without_an_api_token(rendered):
    accounts = _of_kind(rendered, "ServiceAccount")
    for name, account in accounts.items():
        assert account.get("automountServiceAccountToken") is False, name
    for name, spec in _pod_specs(rendered).items():
        assert spec["serviceAccountName"] == name
        assert spec["serviceAccountName"] in accounts
        assert spec.get("automountServiceAccountToken") is False, name


def test_every_container_runs_as_non_root_on_a_read_only_root_filesystem(rendered):
    for name, spec in _pod_specs(rendered).items():
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True, name
        assert pod_sc["runAsUser"] == NON_ROOT_UID, name
        assert pod_sc["seccompProfile"]["type"] == "RuntimeDefault", name
        tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in _containers(spec):
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert mounts.get("/tmp") in tmp_volumes, f"{name}/{container['name']} needs a writable /tmp"
    for where, container in _all_containers(rendered):
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True, where
        assert sc["runAsUser"] == NON_ROOT_UID, where
        assert sc["readOnlyRootFilesystem"] is True, where
        assert sc["allowPrivilegeEscalation"] is False, where
        assert sc.get("privileged", False) is False, where
        assert sc["capabilities"]["drop"] == ["ALL"], where
        assert not sc["capabilities"].get("add"), where
        assert sc["seccompProfile"]["type"] == "RuntimeDefault", where


def test_every_container_requests_and_limits_cpu_and_memory(rendered):
    for where, container in _all_containers(rendered):
        resources = container["resources"]
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{where}: {bound}"


def test_domain_services_have_a_native_grpc_probe_and_everyone_has_liveness_and_readiness(rendered):
    for name in PROCESSES:
        container = _main_container(rendered, name)
        assert "livenessProbe" in container and "readinessProbe" in container, name
        probes = [container[p] for p in ("startupProbe", "livenessProbe", "readinessProbe") if p in container]
        grpc_ports = [p["grpc"]["port"] for p in probes if "grpc" in p]
        if name in DOMAIN_SERVICES:
            assert GRPC_PORT in grpc_ports, f"{name}: no grpc probe on {GRPC_PORT}"
        else:
            assert not grpc_ports, "the gateway serves no gRPC: HTTP probes only"
            assert all("httpGet" in p for p in probes)


def test_no_image_is_latest_or_untagged_and_all_processes_share_one_image(rendered):
    images = {container["image"] for _, container in _all_containers(rendered)}
    assert len(images) == 1, f"one image for all processes, got {images}"
    for image in images:
        if "@sha256:" in image:
            continue
        last = image.rsplit("/", 1)[-1]
        assert ":" in last, f"{image}: no tag"
        assert last.split(":", 1)[1] != "latest", f"{image}: tag latest"


def test_domain_services_migrate_in_an_init_container_then_serve(rendered):
    specs = _pod_specs(rendered)
    for name in DOMAIN_SERVICES:
        (init,) = specs[name]["initContainers"]
        main = _main_container(rendered, name)
        assert init["command"] == ["python", "-m", f"services.{name}", "migrate"]
        assert main["command"] == ["python", "-m", f"services.{name}", "serve"]
        assert init["image"] == main["image"]
        assert init["envFrom"] == main["envFrom"]
        # The migration needs the database, not the signing key nor the county platform's
        # secret: least privilege.
        assert [v for v in main["env"] if v["name"] != "LIANYI_AUTH_SIGNING_KEY"
                and not v["name"].startswith("LIANYI_DISPATCH_PLATFORM_")] == init["env"]
    gateway = _main_container(rendered, "gateway")
    assert gateway["command"][:3] == ["python", "-m", "gunicorn"]
    assert "services.gateway.app:create_app()" in gateway["command"]
    assert not specs["gateway"].get("initContainers")


def test_env_references_resolve_to_rendered_objects_or_the_documented_database_secrets(rendered):
    config_maps = _of_kind(rendered, "ConfigMap")
    secrets = _of_kind(rendered, "Secret")
    for where, container in _all_containers(rendered):
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                assert source["configMapRef"]["name"] in config_maps, where
            if "secretRef" in source:
                assert source["secretRef"]["name"] in secrets, where
        for var in container.get("env", []):
            ref = var.get("valueFrom", {})
            if "configMapKeyRef" in ref:
                cm = ref["configMapKeyRef"]
                assert cm["key"] in config_maps[cm["name"]].get("data", {}), f"{where}: {var['name']}"
            if "secretKeyRef" in ref:
                secret = ref["secretKeyRef"]
                if secret["name"] in secrets:
                    assert secret["key"] in secrets[secret["name"]].get("data", {}), f"{where}: {var['name']}"
                else:
                    assert secret["key"] in EXTERNAL_SECRETS.get(secret["name"], ()), f"{where}: {var['name']}"
    for name in DOMAIN_SERVICES:
        env = {v["name"]: v for v in _main_container(rendered, name)["env"]}
        db = env[f"LIANYI_{name.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert db == {"name": f"{name}-database", "key": "url"}
    for name in (*DOMAIN_SERVICES, "gateway"):
        env = {v["name"]: v for v in _main_container(rendered, name)["env"]}
        key = env["LIANYI_AUTH_SIGNING_KEY"]["valueFrom"]["secretKeyRef"]
        assert key == {"name": "lianyi-auth", "key": "signing-key"}, name


def test_config_maps_hold_the_in_cluster_addresses_and_settings(rendered):
    config_maps = _of_kind(rendered, "ConfigMap")
    for name in DOMAIN_SERVICES:
        data = config_maps[name]["data"]
        upper = name.upper()
        assert data[f"LIANYI_{upper}_GRPC_ADDR"] == f"0.0.0.0:{GRPC_PORT}"
        assert data[f"LIANYI_{upper}_HTTP_ADDR"] == f"0.0.0.0:{HTTP_METRICS_PORT}"
        assert data["LIANYI_BROKER"] == "lianyi-kafka-bootstrap:9092"
        assert data["LIANYI_KAFKA_MAX_POLL_INTERVAL_MS"] == "300000"
        assert data["LIANYI_LOG_LEVEL"] == "INFO"
    gateway = config_maps["gateway"]["data"]
    assert gateway["LIANYI_GATEWAY_HTTP_ADDR"] == f"0.0.0.0:{GATEWAY_HTTP_PORT}"
    assert gateway["LIANYI_GATEWAY_METRICS_ADDR"] == f"0.0.0.0:{HTTP_METRICS_PORT}"
    assert gateway["LIANYI_LOG_LEVEL"] == "INFO"
    # Every process dials every domain service it does not itself run, by its Service name.
    services = _of_kind(rendered, "Service")
    for process, config_map in config_maps.items():
        for name in DOMAIN_SERVICES:
            if name == process:
                continue
            host, port = config_map["data"][f"LIANYI_{name.upper()}_GRPC_ADDR"].split(":")
            assert host == name and host in services, f"{process} dials {host} for {name}"
            assert int(port) in {p["port"] for p in services[host]["spec"]["ports"]}


def test_gateway_prometheus_multiproc_dir_is_a_writable_empty_dir(rendered):
    multiproc_dir = _of_kind(rendered, "ConfigMap")["gateway"]["data"]["PROMETHEUS_MULTIPROC_DIR"]
    spec = _pod_specs(rendered)["gateway"]
    mounts = {m["mountPath"]: m["name"] for m in _main_container(rendered, "gateway")["volumeMounts"]}
    assert multiproc_dir in mounts
    (volume,) = [v for v in spec["volumes"] if v["name"] == mounts[multiproc_dir]]
    assert "emptyDir" in volume


def test_domain_services_are_headless_so_their_name_resolves_to_every_ready_pod(rendered):
    """gRPC clients balance over what DNS returns (round_robin); a virtual IP would be one address,
    and each client's one long-lived connection would stay on one pod."""
    for name, service in _of_kind(rendered, "Service").items():
        assert (service["spec"].get("clusterIP") == "None") == (name in DOMAIN_SERVICES), name


def test_services_expose_named_ports_that_target_their_pods(rendered):
    expected = {name: {"grpc": GRPC_PORT, "http-metrics": HTTP_METRICS_PORT} for name in DOMAIN_SERVICES}
    expected["gateway"] = {"http": GATEWAY_HTTP_PORT, "http-metrics": HTTP_METRICS_PORT}
    for name, service in _of_kind(rendered, "Service").items():
        assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}
        ports = {p["name"]: p for p in service["spec"]["ports"]}
        assert {n: p["port"] for n, p in ports.items()} == expected[name]
        container_ports = {p["name"]: p["containerPort"] for p in _main_container(rendered, name)["ports"]}
        for port_name, port in ports.items():
            assert container_ports[port["targetPort"]] == port["port"], f"{name}: {port_name}"


def test_every_object_validates_strictly_against_the_kubernetes_schema(rendered):
    kubernetes_validate = pytest.importorskip(
        "kubernetes_validate",
        reason="kubernetes-validate is not installed: schema validation of the render skipped",
    )
    errors = []
    for obj in rendered:
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{obj['kind']}/{obj['metadata']['name']}: {path}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_each_domain_service_prunes_hourly_in_a_cron_job_locked_down_like_its_deployment(rendered):
    """The same account, pod and container security, settings and database Secret as the
    Deployment's migration (nothing more: least privilege), one run at a time, and pods that no
    selector of the service's (Service, PodDisruptionBudget, monitors) takes for its own."""
    cron_jobs = _of_kind(rendered, "CronJob")
    assert sorted(cron_jobs) == sorted(f"{name}-prune" for name in DOMAIN_SERVICES)
    specs = _pod_specs(rendered)
    for name in DOMAIN_SERVICES:
        cron = cron_jobs[f"{name}-prune"]["spec"]
        assert cron["concurrencyPolicy"] == "Forbid"
        minute, *hourly = cron["schedule"].split()
        assert minute.isdigit() and hourly == ["*"] * 4, cron["schedule"]
        template = cron["jobTemplate"]["spec"]["template"]
        assert template["metadata"]["labels"]["app.kubernetes.io/name"] == f"{name}-prune"
        pod, deployment = template["spec"], specs[name]
        assert pod["restartPolicy"] == "Never"
        for key in ("serviceAccountName", "automountServiceAccountToken", "securityContext", "enableServiceLinks"):
            assert pod[key] == deployment[key], f"{name}-prune: {key}"
        (prune,) = pod["containers"]
        (migrate,) = deployment["initContainers"]
        assert prune["command"] == ["python", "-m", f"services.{name}", "prune"]
        for key in ("image", "imagePullPolicy", "securityContext", "envFrom", "env", "volumeMounts"):
            assert prune[key] == migrate[key], f"{name}-prune: {key}"
        assert {"cpu", "memory"} <= set(prune["resources"]["requests"]) & set(prune["resources"]["limits"])
        assert pod["volumes"] == [v for v in deployment["volumes"] if v["name"] == "tmp"]
