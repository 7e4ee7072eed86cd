"""How a process reaches PostgreSQL and Kafka in Kubernetes: CloudNativePG's URIs, its pooler,
and Strimzi's TLS listener."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from servicekit import kafka
from servicekit.config import RuntimeSettings, load_service_settings, through_host
from servicekit.database import normalise_url

# The form of the `uri` key in CloudNativePG's `<cluster>-app` secret.
CNPG_URI = "postgresql://intake:s3cr%2Ft@intake-db-rw.lianyi:5432/intake"


def test_a_cloudnativepg_uri_uses_the_psycopg_driver():
    assert normalise_url(CNPG_URI) == "postgresql+psycopg://intake:s3cr%2Ft@intake-db-rw.lianyi:5432/intake"
    assert normalise_url("postgres://u:p@h/d") == "postgresql+psycopg://u:p@h/d"
    assert normalise_url("sqlite:///var/intake.db") == "sqlite:///var/intake.db"


def test_through_host_keeps_user_password_and_database():
    assert (through_host(CNPG_URI, "intake-db-pooler:6432")
            == "postgresql://intake:s3cr%2Ft@intake-db-pooler:6432/intake")
    assert through_host(CNPG_URI, "pooler") == "postgresql://intake:s3cr%2Ft@pooler:5432/intake"
    assert through_host("postgresql://u:p@db/d?sslmode=require", "pooler") == "postgresql://u:p@pooler/d?sslmode=require"


def test_service_settings_apply_database_via(monkeypatch):
    monkeypatch.setenv("LIANYI_INTAKE_DATABASE_URL", CNPG_URI)
    assert load_service_settings("intake").database_url == CNPG_URI
    monkeypatch.setenv("LIANYI_INTAKE_DATABASE_VIA", "intake-db-pooler:5432")
    assert load_service_settings("intake").database_url == (
        "postgresql://intake:s3cr%2Ft@intake-db-pooler:5432/intake")


def test_kafka_is_plaintext_by_default_and_tls_with_client_certificates_when_told():
    assert kafka.security(RuntimeSettings()) == {"security_protocol": "PLAINTEXT"}
    tls = RuntimeSettings(kafka_security_protocol="SSL", kafka_ssl_cafile="/ca/ca.crt",
                          kafka_ssl_certfile="/user/user.crt", kafka_ssl_keyfile="/user/user.key")
    assert kafka.security(tls) == {"security_protocol": "SSL", "ssl_check_hostname": True,
                                   "ssl_cafile": "/ca/ca.crt", "ssl_certfile": "/user/user.crt",
                                   "ssl_keyfile": "/user/user.key"}


def test_incomplete_kafka_tls_settings_fail_fast():
    with pytest.raises(ValidationError):
        RuntimeSettings(kafka_security_protocol="SSL")
    with pytest.raises(ValidationError):
        RuntimeSettings(kafka_security_protocol="SSL", kafka_ssl_cafile="/ca.crt", kafka_ssl_certfile="/u.crt")


def test_every_kafka_client_gets_the_security_settings(monkeypatch):
    seen = {}

    def fake(kind):
        def make(*_args, **kwargs):
            seen[kind] = kwargs
            return _FakeAdmin()
        return make

    class _FakeAdmin:
        def list_topics(self):
            return ["t"]

        def close(self):
            pass

    for kind in ("KafkaProducer", "KafkaConsumer", "KafkaAdminClient"):
        monkeypatch.setattr(kafka, kind, fake(kind))
    tls = RuntimeSettings(kafka_security_protocol="SSL", kafka_ssl_cafile="/ca/ca.crt",
                          kafka_ssl_certfile="/user/user.crt", kafka_ssl_keyfile="/user/user.key")
    expected = kafka.security(tls)
    for make in (lambda: kafka.producer(tls, "p"), lambda: kafka.consumer(tls, "g", ["t"]),
                 lambda: kafka.reader(tls, "r"), lambda: kafka.ensure_topics(tls, [])):
        seen.clear()
        make()
        ((_, kwargs),) = seen.items()
        assert {k: kwargs[k] for k in expected} == expected
