"""The Kubernetes overlays (deploy/k8s/overlays/dev and prod) render into what production relies on.

Each overlay is rendered with `kubectl kustomize` and checked: core objects strictly against the
Kubernetes 1.32 schema; the Strimzi, CloudNativePG and cert-manager objects field by field against
the fields their APIs define (no registry package ships those CRDs' schemas, so the fields used are
listed here from the Strimzi `kafka.strimzi.io/v1beta2`, CloudNativePG `postgresql.cnpg.io/v1` and
cert-manager `cert-manager.io/v1` API references: a field outside the list fails, so a typo or a
field from another version is caught);
checkov with no failure but the skips written below; and the wiring against the code: every topic
of servicekit.topics is a KafkaTopic, every KafkaUser's ACLs are exactly what that service's
subscriptions, producers and consumer group need, every secret a pod reads is one an operator (or
the documented setup) makes, with nothing stale, and where gRPC is TLS every process has the
certificate its settings name, with the names its callers dial.

No cluster is needed. Without `kubectl` on PATH the module is skipped (with CI set: fails).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from servicekit import topics
from servicekit.clock import SystemClock
from servicekit.config import RuntimeSettings
from servicekit.database import Database
from servicekit.outbox import Outbox

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "prod")
NAMESPACE = {"dev": "lianyi-dev", "prod": "lianyi"}
DOMAIN_SERVICES = ("intake", "deliberation", "dispatch", "evaluation")
PROCESSES = (*DOMAIN_SERVICES, "gateway")
KUBERNETES_VERSION = "1.32"
KAFKA_CLUSTER = "lianyi"
CHECKOV = Path(os.environ.get("CHECKOV", REPO_ROOT / ".venv-checkov" / "bin" / "checkov"))
# Every checkov finding left open, with the reason (also in deploy/k8s/README.md).
CHECKOV_SKIPS = {
    # The services read their database URI (CloudNativePG's `<cluster>-app` Secret) and the
    # signing key from the environment (servicekit.config); files would need the settings to
    # read files first.
    "CKV_K8S_35": "secrets as environment variables",
}
# Secrets pods read that no manifest here creates, and who makes them.
OPERATOR_SECRETS = {
    **{f"{s}-db-app": {"uri"} for s in DOMAIN_SERVICES},  # CloudNativePG: the app user
    **{f"{s}-db-ca": {"ca.crt"} for s in DOMAIN_SERVICES},  # CloudNativePG: the cluster's CA
    **{s: {"user.crt", "user.key"} for s in DOMAIN_SERVICES},  # Strimzi: the KafkaUser
    f"{KAFKA_CLUSTER}-cluster-ca-cert": {"ca.crt"},  # Strimzi: the cluster CA
}
# Made by whoever installs lianyi (deploy/k8s/README.md), by key.
SETUP_SECRETS = {"lianyi-auth": {"signing-key"}, "dispatch-platform": {"url", "secret"},
                 "lianyi-backup-s3": {"ACCESS_KEY_ID", "ACCESS_SECRET_KEY"},
                 "gateway-tls": {"tls.crt", "tls.key"}, "gateway-redis": {"uri"},
                 "lianyi-grpc-ca": {"tls.crt", "tls.key"}}  # the CA cert-manager's Issuer signs with
# What cert-manager puts in the Secret of a Certificate a CA Issuer signs.
CERTIFICATE_KEYS = {"tls.crt", "tls.key", "ca.crt"}

Obj = dict[str, Any]


def _render(overlay: str) -> list[Obj]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if os.environ.get("CI"):
            pytest.fail("kubectl is not on PATH (CI is set, so the overlays must be checked)")
        pytest.skip("kubectl is not on PATH: cannot render the overlays")
    proc = subprocess.run([kubectl, "kustomize", str(K8S_DIR / "overlays" / overlay)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"kubectl kustomize overlays/{overlay} failed:\n{proc.stderr}"
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


@pytest.fixture(scope="module")
def renders() -> dict[str, list[Obj]]:
    return {overlay: _render(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request, renders) -> tuple[str, list[Obj]]:
    return request.param, renders[request.param]


def _of_kind(objects: list[Obj], kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _main(deployment: Obj) -> Obj:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def _containers(deployment: Obj) -> list[Obj]:
    spec = deployment["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def _pod_templates(objects: list[Obj]) -> dict[str, Obj]:
    """Every pod template by its workload's name: the Deployments', and the CronJobs' jobs'."""
    templates = {name: d["spec"]["template"] for name, d in _of_kind(objects, "Deployment").items()}
    for name, cron in _of_kind(objects, "CronJob").items():
        templates[name] = cron["spec"]["jobTemplate"]["spec"]["template"]
    return templates


def _all_containers(objects: list[Obj]) -> list[tuple[str, Obj]]:
    return [(f"{name}/{c['name']}", c) for name, template in _pod_templates(objects).items()
            for c in [*template["spec"].get("initContainers", []), *template["spec"]["containers"]]]


# --- core objects ------------------------------------------------------------------------------

CORE_GROUPS = ("v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1")


def test_core_objects_validate_strictly_against_kubernetes(overlay):
    import kubernetes_validate

    name, objects = overlay
    errors = []
    for obj in objects:
        if obj["apiVersion"] not in CORE_GROUPS:
            continue
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{name}: {obj['kind']}/{obj['metadata']['name']}: {path}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_everything_is_in_the_overlay_namespace(overlay):
    name, objects = overlay
    for obj in objects:
        if obj["kind"] == "Namespace":
            assert obj["metadata"]["name"] == NAMESPACE[name]
        else:
            assert obj["metadata"].get("namespace") == NAMESPACE[name], f"{obj['kind']}/{obj['metadata']['name']}"


def test_images_are_pinned_by_digest(overlay):
    _, objects = overlay
    for _, container in _all_containers(objects):
        assert re.fullmatch(r"[a-z0-9.\-/]+/lianyi@sha256:[0-9a-f]{64}", container["image"]), container["image"]


def test_environment_settings_are_a_generated_config_map_every_container_reads(overlay):
    """A content-hashed name: changing a setting changes the pod template, so the pods roll."""
    _, objects = overlay
    generated = [n for n in _of_kind(objects, "ConfigMap") if n.startswith("lianyi-runtime-")]
    assert len(generated) == 1 and re.fullmatch(r"lianyi-runtime-[a-z0-9]{10}", generated[0])
    for where, container in _all_containers(objects):
        refs = [s["configMapRef"]["name"] for s in container["envFrom"]]
        # After the process's own ConfigMap: the later source wins.
        assert refs[-1] == generated[0], f"{where}: {refs}"


def test_prod_runs_at_least_two_of_every_process_spread_and_protected(renders):
    objects = renders["prod"]
    deployments = _of_kind(objects, "Deployment")
    hpas = _of_kind(objects, "HorizontalPodAutoscaler")
    pdbs = _of_kind(objects, "PodDisruptionBudget")
    assert sorted(deployments) == sorted(hpas) == sorted(pdbs) == sorted(PROCESSES)
    for name, deployment in deployments.items():
        assert "replicas" not in deployment["spec"], f"{name}: the HPA owns the count"
        hpa = hpas[name]["spec"]
        assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] >= hpa["minReplicas"]
        assert pdbs[name]["spec"]["selector"] == deployment["spec"]["selector"]
        assert pdbs[name]["spec"]["maxUnavailable"] == 1
        spread = deployment["spec"]["template"]["spec"]["topologySpreadConstraints"]
        assert {c["topologyKey"] for c in spread} == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}
        for constraint in spread:
            assert "app.kubernetes.io/name" in constraint["matchLabelKeys"]
    # A consumer group uses one consumer per partition at most: more replicas would idle.
    partitions = {t["spec"]["topicName"]: t["spec"]["partitions"] for t in _of_kind(objects, "KafkaTopic").values()}
    for name in DOMAIN_SERVICES:
        assert hpas[name]["spec"]["maxReplicas"] <= partitions[topics.TOPIC_OF_SERVICE[name]]


def test_dev_runs_one_of_everything_without_budgets(renders):
    objects = renders["dev"]
    assert all(d["spec"]["replicas"] == 1 for d in _of_kind(objects, "Deployment").values())
    assert not _of_kind(objects, "PodDisruptionBudget") and not _of_kind(objects, "HorizontalPodAutoscaler")
    assert all(c["spec"]["instances"] == 1 for c in _of_kind(objects, "Cluster").values())
    (pool,) = _of_kind(objects, "KafkaNodePool").values()
    assert pool["spec"]["replicas"] == 1
    assert all(t["spec"]["replicas"] == 1 for t in _of_kind(objects, "KafkaTopic").values())


def test_only_the_gateways_public_paths_are_exposed_over_tls(renders):
    for name, objects in renders.items():
        ingresses = _of_kind(objects, "Ingress")
        if name == "dev":
            assert not ingresses
            continue
        (ingress,) = ingresses.values()
        hosts = {h for tls in ingress["spec"]["tls"] for h in tls["hosts"]}
        paths = []
        for rule in ingress["spec"]["rules"]:
            assert rule["host"] in hosts, "every host is served over TLS"
            for path in rule["http"]["paths"]:
                assert path["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}}
                paths.append((path["path"], path["pathType"]))
        assert sorted(paths) == [("/api/v1", "Prefix"), ("/open311/v2", "Prefix"), ("/openapi.json", "Exact")]
        for private in ("/metrics", "/healthz", "/readyz"):
            assert not any(private.startswith(p) if kind == "Prefix" else private == p for p, kind in paths)


# --- Strimzi and CloudNativePG: every field used is one the API defines ------------------------

# Nested field names as the API references define them; None: a scalar, a free-form map (Kafka
# and PostgreSQL configuration) or a list of scalars; a one-item list: a list of that shape.
RESOURCES = {"requests": {"cpu": None, "memory": None}, "limits": {"cpu": None, "memory": None}}
SECRET_KEY = {"name": None, "key": None}
CRD_FIELDS: dict[tuple[str, str], Obj] = {
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"): {
        "replicas": None, "roles": None, "resources": RESOURCES, "jvmOptions": {"-Xms": None, "-Xmx": None},
        "storage": {"type": None, "volumes": [{"id": None, "type": None, "size": None, "class": None,
                                               "deleteClaim": None, "kraftMetadata": None}]},
    },
    ("kafka.strimzi.io/v1beta2", "Kafka"): {
        "kafka": {"version": None, "metadataVersion": None, "config": None,
                  "authorization": {"type": None},
                  "listeners": [{"name": None, "port": None, "type": None, "tls": None,
                                 "authentication": {"type": None}}]},
        "entityOperator": {"topicOperator": {"resources": RESOURCES}, "userOperator": {"resources": RESOURCES}},
    },
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): {"topicName": None, "partitions": None, "replicas": None,
                                                 "config": None},
    ("kafka.strimzi.io/v1beta2", "KafkaUser"): {
        "authentication": {"type": None},
        "authorization": {"type": None, "acls": [{"resource": {"type": None, "name": None, "patternType": None},
                                                  "operations": None, "host": None}]},
    },
    ("postgresql.cnpg.io/v1", "Cluster"): {
        "instances": None, "imageName": None, "primaryUpdateStrategy": None,
        "bootstrap": {"initdb": {"database": None, "owner": None}},
        "certificates": {"serverAltDNSNames": None},
        "postgresql": {"parameters": None},
        "storage": {"size": None, "storageClass": None},
        "resources": RESOURCES,
        "affinity": {"enablePodAntiAffinity": None, "topologyKey": None, "podAntiAffinityType": None},
        "backup": {"retentionPolicy": None,
                   "barmanObjectStore": {"destinationPath": None, "endpointURL": None,
                                         "s3Credentials": {"accessKeyId": SECRET_KEY, "secretAccessKey": SECRET_KEY},
                                         "wal": {"compression": None}, "data": {"compression": None}}},
    },
    ("postgresql.cnpg.io/v1", "Pooler"): {
        "cluster": {"name": None}, "instances": None, "type": None,
        "pgbouncer": {"poolMode": None, "parameters": None},
    },
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): {
        "schedule": None, "backupOwnerReference": None, "method": None, "cluster": {"name": None},
    },
    ("cert-manager.io/v1", "Issuer"): {"ca": {"secretName": None}},
    ("cert-manager.io/v1", "Certificate"): {
        "secretName": None, "commonName": None, "dnsNames": None, "usages": None, "duration": None,
        "renewBefore": None, "issuerRef": {"name": None, "kind": None, "group": None},
        "privateKey": {"algorithm": None, "size": None, "encoding": None, "rotationPolicy": None},
    },
}
# Values the APIs enumerate.
ENUMS = {
    "KafkaNodePool.roles": {"controller", "broker"},
    "KafkaNodePool.storage.type": {"jbod", "ephemeral", "persistent-claim"},
    "KafkaNodePool.storage.volumes.type": {"ephemeral", "persistent-claim"},
    "KafkaNodePool.storage.volumes.kraftMetadata": {"shared"},
    "Kafka.kafka.listeners.type": {"internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"},
    "Kafka.kafka.listeners.authentication.type": {"tls", "scram-sha-512", "oauth", "custom"},
    "Kafka.kafka.authorization.type": {"simple", "opa", "keycloak", "custom"},
    "KafkaUser.authentication.type": {"tls", "tls-external", "scram-sha-512"},
    "KafkaUser.authorization.type": {"simple"},
    "KafkaUser.authorization.acls.resource.type": {"topic", "group", "cluster", "transactionalId"},
    "KafkaUser.authorization.acls.resource.patternType": {"literal", "prefix"},
    "KafkaUser.authorization.acls.operations": {"Read", "Write", "Create", "Delete", "Alter", "Describe",
                                                "ClusterAction", "AlterConfigs", "DescribeConfigs",
                                                "IdempotentWrite", "All"},
    "Cluster.primaryUpdateStrategy": {"unsupervised", "supervised"},
    "Cluster.affinity.podAntiAffinityType": {"preferred", "required"},
    "Cluster.backup.barmanObjectStore.wal.compression": {"gzip", "bzip2", "snappy"},
    "Cluster.backup.barmanObjectStore.data.compression": {"gzip", "bzip2", "snappy"},
    "Pooler.type": {"rw", "ro", "r"},
    "Pooler.pgbouncer.poolMode": {"session", "transaction"},
    "ScheduledBackup.method": {"barmanObjectStore", "volumeSnapshot", "plugin"},
    "ScheduledBackup.backupOwnerReference": {"none", "self", "cluster"},
    "Certificate.issuerRef.kind": {"Issuer", "ClusterIssuer"},
    "Certificate.privateKey.algorithm": {"RSA", "ECDSA", "Ed25519"},
    "Certificate.privateKey.encoding": {"PKCS1", "PKCS8"},
    "Certificate.privateKey.rotationPolicy": {"Never", "Always"},
    "Certificate.usages": {"signing", "digital signature", "content commitment", "key encipherment",
                           "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only",
                           "decipher only", "any", "server auth", "client auth", "code signing",
                           "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user",
                           "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"},
}
# CloudNativePG accepts only these PgBouncer parameters (and refuses the rest).
PGBOUNCER_PARAMETERS = {"max_client_conn", "default_pool_size", "max_prepared_statements", "min_pool_size",
                        "reserve_pool_size", "server_idle_timeout", "query_wait_timeout"}


def _unknown_fields(value: Any, shape: Any, path: str) -> list[str]:
    if shape is None:
        return []
    if isinstance(shape, list):
        assert isinstance(value, list), f"{path}: a list expected"
        return [err for item in value for err in _unknown_fields(item, shape[0], path)]
    assert isinstance(value, dict), f"{path}: a map expected"
    errors = [f"{path}.{key}" for key in value if key not in shape]
    for key, child in value.items():
        if key in shape:
            errors += _unknown_fields(child, shape[key], f"{path}.{key}")
    return errors


def _values_at(value: Any, parts: list[str]) -> list[Any]:
    if isinstance(value, list):
        return [v for item in value for v in _values_at(item, parts)]
    if not parts:
        return [value]
    if not isinstance(value, dict) or parts[0] not in value:
        return []
    return _values_at(value[parts[0]], parts[1:])


MONITORING_GROUP = "monitoring.coreos.com/v1"


def test_strimzi_and_cloudnativepg_objects_use_only_fields_their_apis_define(overlay):
    name, objects = overlay
    errors = []
    seen = set()
    for obj in objects:
        key = (obj["apiVersion"], obj["kind"])
        if obj["apiVersion"] in CORE_GROUPS or obj["apiVersion"] == MONITORING_GROUP:
            continue  # Prometheus Operator objects: tests/deploy/test_monitoring.py checks them
        assert key in CRD_FIELDS, f"{name}: {key} is neither core nor a checked custom resource"
        seen.add(key)
        where = f"{name}: {obj['kind']}/{obj['metadata']['name']}"
        assert set(obj) <= {"apiVersion", "kind", "metadata", "spec"}, where
        errors += [f"{where}: {p}" for p in _unknown_fields(obj["spec"], CRD_FIELDS[key], obj["kind"])]
        for path, allowed in ENUMS.items():
            kind, *parts = path.split(".")
            if kind == obj["kind"]:
                for value in _values_at(obj["spec"], parts):
                    bad = set(value if isinstance(value, list) else [value]) - allowed
                    if bad:
                        errors.append(f"{where}: {path}: {sorted(bad)} not one of {sorted(allowed)}")
    assert not errors, "\n".join(errors)
    if name == "prod":
        assert seen == set(CRD_FIELDS), "every kind listed is used"


def test_strimzi_objects_belong_to_the_cluster_and_the_cluster_is_kraft_and_tls_only(overlay):
    name, objects = overlay
    (kafka,) = _of_kind(objects, "Kafka").values()
    assert kafka["metadata"]["name"] == KAFKA_CLUSTER
    for kind in ("KafkaNodePool", "KafkaTopic", "KafkaUser"):
        for obj in _of_kind(objects, kind).values():
            assert obj["metadata"]["labels"]["strimzi.io/cluster"] == KAFKA_CLUSTER
    annotations = kafka["metadata"]["annotations"]
    assert annotations["strimzi.io/kraft"] == annotations["strimzi.io/node-pools"] == "enabled"
    (pool,) = _of_kind(objects, "KafkaNodePool").values()
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    assert listener["tls"] is True and listener["authentication"]["type"] == "tls"
    config = kafka["spec"]["kafka"]["config"]
    if name == "prod":
        assert pool["spec"]["replicas"] == 3
        assert config["default.replication.factor"] == 3 and config["min.insync.replicas"] == 2
        for topic in _of_kind(objects, "KafkaTopic").values():
            assert topic["spec"]["replicas"] == 3 and topic["spec"]["config"]["min.insync.replicas"] == 2
    assert config["auto.create.topics.enable"] is False
    for obj in _of_kind(objects, "ConfigMap").values():
        if obj["metadata"]["name"].startswith("lianyi-runtime-"):
            data = obj["data"]
            assert data["LIANYI_BROKER"] == f"{KAFKA_CLUSTER}-kafka-bootstrap:{listener['port']}"
            assert data["LIANYI_KAFKA_SECURITY_PROTOCOL"] == "SSL"


# --- wired to the code ------------------------------------------------------------------------


def test_every_topic_in_the_catalogue_is_a_kafka_topic_and_nothing_else_is(overlay):
    _, objects = overlay
    rendered = {t["spec"]["topicName"]: t["spec"] for t in _of_kind(objects, "KafkaTopic").values()}
    partitions = rendered[topics.INTAKE]["partitions"]
    catalogue = {spec.name: spec for spec in topics.catalogue(partitions)}
    assert sorted(rendered) == sorted(catalogue)
    for name, spec in catalogue.items():
        assert rendered[name]["partitions"] == spec.partitions, name
        for key, value in spec.config.items():
            assert rendered[name]["config"][key] == value, name
        # Retention is stated, not left to the broker's default.
        config = rendered[name]["config"]
        assert config["cleanup.policy"] == "compact" or "retention.ms" in config, name


def _code_acls() -> dict[str, set[tuple[str, str, str]]]:
    """(resource type, name, operation) each service's code needs, from its wiring and sources."""
    expected = {}
    for name in DOMAIN_SERVICES:
        wiring = importlib.import_module(f"services.{name}.wiring").build(
            Database("sqlite://"), Outbox(topics.TOPIC_OF_SERVICE[name]), SystemClock())
        consumed = {s.topic for s in wiring.subscriptions}
        produced = {topics.TOPIC_OF_SERVICE[name]}
        # Events a service routes to another topic than its own (the directory, from intake).
        source = "\n".join(p.read_text() for p in (REPO_ROOT / "services" / name).rglob("*.py"))
        for constant in re.findall(r"topic=topics\.([A-Z_]+)", source):
            produced.add(getattr(topics, constant))
        acls = {("group", name, "Read")} if consumed else set()
        for topic in consumed:
            # The consumer parks poison on the twin; replay-dlq reads it back (servicekit.dlq_replay).
            acls |= {("topic", topic, "Read"), ("topic", topic, "Describe"), ("topic", topics.dlq(topic), "Write"),
                     ("topic", topics.dlq(topic), "Read"), ("topic", topics.dlq(topic), "Describe")}
        if wiring.settings is not None:  # county settings: published by the service, read by its listener
            produced.add(topics.SETTINGS)
            acls |= {("topic", topics.SETTINGS, "Read"), ("topic", topics.SETTINGS, "Describe")}
        for topic in produced:
            acls |= {("topic", topic, "Write"), ("topic", topic, "Describe")}
        expected[name] = acls
    return expected


@pytest.fixture(scope="module")
def code_acls() -> dict[str, set[tuple[str, str, str]]]:
    return _code_acls()


def test_kafka_users_have_exactly_the_acls_the_code_needs(overlay, code_acls):
    name, objects = overlay
    users = _of_kind(objects, "KafkaUser")
    assert sorted(users) == sorted(DOMAIN_SERVICES), "one per service using Kafka; the gateway does not"
    for user, obj in users.items():
        rendered = set()
        for acl in obj["spec"]["authorization"]["acls"]:
            resource = acl["resource"]
            assert resource["patternType"] == "literal", f"{user}: no prefixes, exact names only"
            rendered |= {(resource["type"], resource["name"], op) for op in acl["operations"]}
        assert rendered == code_acls[user], (
            f"{name}: {user}: missing {sorted(code_acls[user] - rendered)}, stale {sorted(rendered - code_acls[user])}")


def test_every_service_talks_tls_to_kafka_with_its_own_user(overlay):
    _, objects = overlay
    config = next(o["data"] for n, o in _of_kind(objects, "ConfigMap").items() if n.startswith("lianyi-runtime-"))
    for name, deployment in _of_kind(objects, "Deployment").items():
        if name not in DOMAIN_SERVICES:
            continue
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        mounts = {m["mountPath"]: volumes[m["name"]] for m in _main(deployment)["volumeMounts"]}
        for setting, secret in (("LIANYI_KAFKA_SSL_CAFILE", f"{KAFKA_CLUSTER}-cluster-ca-cert"),
                                ("LIANYI_KAFKA_SSL_CERTFILE", name), ("LIANYI_KAFKA_SSL_KEYFILE", name)):
            directory, file = config[setting].rsplit("/", 1)
            volume = mounts[directory]["secret"]
            assert volume["secretName"] == secret, f"{name}: {setting}"
            assert file in {item["path"] for item in volume["items"]}, f"{name}: {setting}"


def test_services_read_the_operators_database_secrets_through_the_pooler_with_verify_full(overlay):
    name, objects = overlay
    clusters = _of_kind(objects, "Cluster")
    poolers = _of_kind(objects, "Pooler")
    assert sorted(clusters) == sorted(f"{s}-db" for s in DOMAIN_SERVICES)
    config = next(o["data"] for n, o in _of_kind(objects, "ConfigMap").items() if n.startswith("lianyi-runtime-"))
    assert config["PGSSLMODE"] == "verify-full"
    for service in DOMAIN_SERVICES:
        cluster = clusters[f"{service}-db"]["spec"]
        assert cluster["bootstrap"]["initdb"] == {"database": service, "owner": service}
        assert cluster["instances"] == (3 if name == "prod" else 1)
        pooler_name = f"{service}-db-pooler-rw"
        assert poolers[pooler_name]["spec"]["cluster"]["name"] == f"{service}-db"
        assert pooler_name in cluster["certificates"]["serverAltDNSNames"], "verify-full through the pooler"
        assert set(poolers[pooler_name]["spec"]["pgbouncer"]["parameters"]) <= PGBOUNCER_PARAMETERS
        deployment = _of_kind(objects, "Deployment")[service]
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        for container in _containers(deployment):
            env = {v["name"]: v for v in container["env"]}
            url = env[f"LIANYI_{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
            assert url == {"name": f"{service}-db-app", "key": "uri"}
            directory, file = config["PGSSLROOTCERT"].rsplit("/", 1)
            (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == directory]
            secret = volumes[mount["name"]]["secret"]
            assert secret["secretName"] == f"{service}-db-ca"
            assert secret["items"] == [{"key": "ca.crt", "path": file}], "the CA's certificate, not its key"
        # Migrations straight to the primary; the server through PgBouncer.
        assert env[f"LIANYI_{service.upper()}_DATABASE_VIA"]["value"] == f"{pooler_name}:5432"
        (migrate,) = deployment["spec"]["template"]["spec"]["initContainers"]
        assert f"LIANYI_{service.upper()}_DATABASE_VIA" not in {v["name"] for v in migrate["env"]}
        # Housekeeping: the server's database, Secret, pooler and CA.
        prune_pod = _pod_templates(objects)[f"{service}-prune"]["spec"]
        (prune,) = prune_pod["containers"]
        assert prune["env"] == [v for v in _main(deployment)["env"] if "_DATABASE_" in v["name"]]
        (ca_mount,) = [m for m in prune["volumeMounts"] if m["mountPath"] == directory]
        (ca,) = [v for v in prune_pod["volumes"] if v["name"] == ca_mount["name"]]
        assert ca == volumes[mount["name"]]


def test_inbox_rows_outlive_every_record_the_broker_could_deliver_again(overlay):
    """Once an event's inbox row is pruned, a redelivery of it would be applied again. A record
    comes again while its topic keeps it (a consumer group whose offsets expired rereads from the
    beginning) and while its DLQ twin keeps it (replay-dlq): so the inbox retention exceeds both.
    The compacted directory topic keeps its latest records for ever: the replica applies them by
    entity version (servicekit.directory_replica), a repeat changes nothing."""
    _, objects = overlay
    config = next(o["data"] for n, o in _of_kind(objects, "ConfigMap").items() if n.startswith("lianyi-runtime-"))
    setting = config.get("LIANYI_INBOX_RETENTION_DAYS")
    inbox_ms = (float(setting) if setting else RuntimeSettings().inbox_retention_days) * 86_400_000
    for topic in _of_kind(objects, "KafkaTopic").values():
        spec = topic["spec"]
        if spec["config"]["cleanup.policy"] == "compact":
            assert spec["topicName"] in (topics.DIRECTORY, topics.SETTINGS), spec["topicName"]
            continue
        assert inbox_ms > int(spec["config"]["retention.ms"]), f"{spec['topicName']}: keeps records past the inbox"


def test_prod_backs_up_every_database_nightly_to_object_storage(renders):
    objects = renders["prod"]
    backups = {b["spec"]["cluster"]["name"]: b["spec"] for b in _of_kind(objects, "ScheduledBackup").values()}
    assert sorted(backups) == sorted(f"{s}-db" for s in DOMAIN_SERVICES)
    for cluster_name, cluster in _of_kind(objects, "Cluster").items():
        store = cluster["spec"]["backup"]["barmanObjectStore"]
        assert store["destinationPath"].startswith("s3://")
        assert backups[cluster_name]["method"] == "barmanObjectStore"
        assert cluster["spec"]["affinity"]["podAntiAffinityType"] == "required"
    assert not _of_kind(renders["dev"], "ScheduledBackup")


def test_every_secret_read_is_made_by_an_operator_or_the_documented_setup_and_none_is_stale(overlay):
    _, objects = overlay
    read: dict[str, set[str]] = {}
    for _, container in _all_containers(objects):
        for var in container.get("env", []):
            if ref := var.get("valueFrom", {}).get("secretKeyRef"):
                read.setdefault(ref["name"], set()).add(ref["key"])
    for template in _pod_templates(objects).values():
        for volume in template["spec"]["volumes"]:
            if secret := volume.get("secret"):
                read.setdefault(secret["secretName"], set()).update(i["key"] for i in secret["items"])
    for cluster in _of_kind(objects, "Cluster").values():
        credentials = cluster["spec"].get("backup", {}).get("barmanObjectStore", {}).get("s3Credentials", {})
        for ref in credentials.values():
            read.setdefault(ref["name"], set()).add(ref["key"])
    for ingress in _of_kind(objects, "Ingress").values():
        for tls in ingress["spec"]["tls"]:
            read.setdefault(tls["secretName"], set()).update({"tls.crt", "tls.key"})
    for issuer in _of_kind(objects, "Issuer").values():
        read.setdefault(issuer["spec"]["ca"]["secretName"], set()).update({"tls.crt", "tls.key"})
    certified = {c["spec"]["secretName"]: CERTIFICATE_KEYS for c in _of_kind(objects, "Certificate").values()}
    known = {**OPERATOR_SECRETS, **SETUP_SECRETS, **certified}
    for secret, keys in read.items():
        assert secret in known, f"{secret}: read, but nobody makes it"
        assert keys <= known[secret], f"{secret}: {sorted(keys - known[secret])}"
    assert not any(s.endswith("-database") for s in read), "the base's placeholder secrets are replaced"
    # Nothing stale: every operator secret listed, and every one a Certificate here makes, is read
    # (setup secrets may be prod-only).
    assert set(OPERATOR_SECRETS) | set(certified) <= set(read)


def test_checkov_finds_nothing_but_the_written_skips(overlay, tmp_path):
    name, objects = overlay
    if not CHECKOV.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHECKOV} is missing (`make k8s` installs it)")
        pytest.skip(f"{CHECKOV} is missing: `make k8s` installs it")
    rendered = tmp_path / f"{name}.yaml"
    rendered.write_text(yaml.safe_dump_all(objects))
    proc = subprocess.run(
        [str(CHECKOV), "--file", str(rendered), "--framework", "kubernetes", "--output", "json", "--quiet",
         "--skip-download", "--skip-check", ",".join(CHECKOV_SKIPS)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_CREATE_GRAPH": "False"})
    assert proc.stdout.strip(), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed = [f"{c['check_id']} {c['resource']}: {c['check_name']}"
              for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert not failed, "\n".join(failed)


# --- gRPC between the processes ------------------------------------------------------------------

# Every TLS setting the code reads (servicekit.config), by environment variable.
GRPC_TLS_SETTINGS = sorted(f"LIANYI_{field.upper()}" for field in RuntimeSettings.model_fields
                           if field.startswith("grpc_tls_"))
PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def _runtime_config(objects: list[Obj]) -> dict[str, str]:
    return next(o["data"] for n, o in _of_kind(objects, "ConfigMap").items() if n.startswith("lianyi-runtime-"))


def _dialled_hosts(objects: list[Obj]) -> dict[str, set[str]]:
    """Each domain service's hosts as the other processes dial them (their ConfigMaps)."""
    hosts: dict[str, set[str]] = {name: set() for name in DOMAIN_SERVICES}
    for config_map in _of_kind(objects, "ConfigMap").values():
        for name in DOMAIN_SERVICES:
            host = config_map.get("data", {}).get(f"LIANYI_{name.upper()}_GRPC_ADDR", "0.0.0.0:").rsplit(":", 1)[0]
            if host != "0.0.0.0":  # the service's own bind address
                hosts[name].add(host)
    return hosts


def test_prod_speaks_mutual_tls_with_each_processes_own_certificate_from_cert_manager(renders):
    objects = renders["prod"]
    config = _runtime_config(objects)
    assert GRPC_TLS_SETTINGS == ["LIANYI_GRPC_TLS_CA", "LIANYI_GRPC_TLS_CERT", "LIANYI_GRPC_TLS_KEY"]
    assert set(GRPC_TLS_SETTINGS) <= set(config), "all of them: with the CA, mutual TLS"
    certificates = {c["spec"]["secretName"]: c["spec"] | {"process": c["metadata"]["labels"]["app.kubernetes.io/name"]}
                    for c in _of_kind(objects, "Certificate").values()}
    (issuer,) = _of_kind(objects, "Issuer").values()
    hosts = _dialled_hosts(objects)
    for name, deployment in _of_kind(objects, "Deployment").items():
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        mounts = {m["mountPath"]: volumes[m["name"]] for m in _main(deployment)["volumeMounts"]}
        secrets = set()
        for setting in GRPC_TLS_SETTINGS:
            directory, file = config[setting].rsplit("/", 1)
            secret = mounts[directory]["secret"]
            assert file in {item["path"] for item in secret["items"]}, f"{name}: {setting}"
            secrets.add(secret["secretName"])
        # One Certificate's Secret: the process's certificate, its key, and the CA that signed it.
        (secret_name,) = secrets
        certificate = certificates[secret_name]
        assert certificate["process"] == name
        assert certificate["issuerRef"] == {"name": issuer["metadata"]["name"], "kind": "Issuer",
                                            "group": "cert-manager.io"}
        assert "client auth" in certificate["usages"]
        if name in DOMAIN_SERVICES:
            # gRPC checks the server's certificate against the host its caller dials.
            assert hosts[name] and hosts[name] <= set(certificate["dnsNames"]), name
            assert "server auth" in certificate["usages"]
        # The migrations talk to no gRPC server: they do not get the key.
        for init in deployment["spec"]["template"]["spec"].get("initContainers", []):
            mounted = {volumes[m["name"]].get("secret", {}).get("secretName") for m in init["volumeMounts"]}
            assert secret_name not in mounted, f"{name}/{init['name']}"


def test_no_probe_speaks_grpc_to_a_tls_port_and_plaintext_keeps_the_grpc_probe(overlay):
    """The kubelet's gRPC probe cannot speak TLS: with TLS on it would never see a pod start."""
    _, objects = overlay
    tls = "LIANYI_GRPC_TLS_CERT" in _runtime_config(objects)
    for name, deployment in _of_kind(objects, "Deployment").items():
        container = _main(deployment)
        probes = [container[p] for p in PROBES if p in container]
        if tls:
            assert not any("grpc" in probe for probe in probes), name
        if name in DOMAIN_SERVICES:
            started = container["startupProbe"]
            assert started == {**started, **({"tcpSocket": {"port": "grpc"}} if tls else {"grpc": {"port": 50051}})}


def test_clients_dial_the_headless_service_of_each_domain_service(overlay):
    """DNS answers with every ready pod, which the clients balance over (servicekit.grpc_client)."""
    _, objects = overlay
    services = _of_kind(objects, "Service")
    for name, hosts in _dialled_hosts(objects).items():
        assert hosts == {name}
        assert services[name]["spec"]["clusterIP"] == "None", name


# --- the gateway's edge -----------------------------------------------------------------------


def _gateway_settings_read() -> set[str]:
    """Every variable the gateway process reads: its own (load_gateway_settings), the services'
    addresses, the shared runtime settings, and prometheus-client's multiprocess directory."""
    from servicekit.config import SERVICES, RuntimeSettings

    source = (REPO_ROOT / "servicekit" / "config.py").read_text()
    return ({*re.findall(r'"(LIANYI_GATEWAY_[A-Z_]+)"', source)}
            | {f"LIANYI_{name.upper()}_GRPC_ADDR" for name in SERVICES}
            | {f"LIANYI_{field.upper()}" for field in RuntimeSettings.model_fields}
            | {"PROMETHEUS_MULTIPROC_DIR"})


def _gateway_environment(objects: list[Obj]) -> dict[str, Obj]:
    """The gateway container's variables from its own ConfigMap and its env (the shared
    lianyi-runtime ConfigMap is every process's, checked with them)."""
    container = _main(_of_kind(objects, "Deployment")["gateway"])
    own = _of_kind(objects, "ConfigMap")["gateway"]["data"]
    return {**{name: {"value": value} for name, value in own.items()}, **{v["name"]: v for v in container["env"]}}


def test_every_gateway_setting_wired_is_one_the_code_reads(overlay):
    name, objects = overlay
    stale = set(_gateway_environment(objects)) - _gateway_settings_read()
    assert not stale, f"{name}: the gateway is given settings no code reads: {sorted(stale)}"


def test_prod_trusts_the_ingress_for_client_addresses_and_shares_rate_limits_in_redis(renders):
    environment = _gateway_environment(renders["prod"])
    assert environment["LIANYI_GATEWAY_PROXY_HOPS"]["value"] == "1", "one proxy in front: the ingress controller"
    storage = environment["LIANYI_GATEWAY_RATE_LIMIT_STORAGE"]["valueFrom"]["secretKeyRef"]
    assert storage == {"name": "gateway-redis", "key": "uri"}
    # Without an Ingress nothing forwards: no hop is trusted, so a client cannot pick its address.
    assert "LIANYI_GATEWAY_PROXY_HOPS" not in _gateway_environment(renders["dev"])


def _sources(policy: dict) -> dict[str, set[str]]:
    """Port name -> who may reach it under a NetworkPolicy: "anyone" for a rule without `from`."""
    sources: dict[str, set[str]] = {}
    for rule in policy["spec"]["ingress"]:
        peers = set()
        for peer in rule.get("from") or [None]:
            if peer is None:
                peers.add("anyone")
            elif "namespaceSelector" in peer:
                peers.add(f"namespace {peer['namespaceSelector']['matchLabels']['kubernetes.io/metadata.name']}")
            else:
                peers.add(f"pods {peer['podSelector']['matchLabels']}")
        for port in rule["ports"]:
            sources.setdefault(port["port"], set()).update(peers)
    return sources


def test_the_domain_services_admit_grpc_from_lianyi_and_metrics_from_prometheus_only(overlay):
    _, objects = overlay
    for service in ("intake", "deliberation", "dispatch", "evaluation"):
        (policy,) = [p for p in _of_kind(objects, "NetworkPolicy").values()
                     if p["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": service}]
        assert _sources(policy) == {"grpc": {"pods {'app.kubernetes.io/part-of': 'lianyi'}"},
                                    "http-metrics": {"namespace monitoring"}}, service


def test_the_gateways_metrics_are_on_their_own_port_which_no_ingress_routes(overlay):
    name, objects = overlay
    deployment = _of_kind(objects, "Deployment")["gateway"]
    ports = {p["name"]: p["containerPort"] for p in _main(deployment)["ports"]}
    metrics_port = int(_gateway_environment(objects)["LIANYI_GATEWAY_METRICS_ADDR"]["value"].rsplit(":", 1)[1])
    assert ports["http-metrics"] == metrics_port != ports["http"]
    assert deployment["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] == str(metrics_port)
    (policy,) = [p for p in _of_kind(objects, "NetworkPolicy").values()
                 if p["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "gateway"}]
    assert {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]} == {"http", "http-metrics"}
    # Each from one namespace: the public port from the ingress controller's only (the one hop of
    # X-Forwarded-For trusted is its), the metrics from Prometheus'.
    assert _sources(policy) == {"http": {"namespace ingress-nginx"}, "http-metrics": {"namespace monitoring"}}
    for ingress in _of_kind(objects, "Ingress").values():
        for rule in ingress["spec"]["rules"]:
            assert all(p["backend"]["service"]["port"] == {"name": "http"} for p in rule["http"]["paths"]), name
