"""Kafka security settings: one builder for every client, bad values named, secrets hidden."""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import sys
from pathlib import Path

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka import KafkaAdminClient

from cli.main import main
from core.errors import ConfigError
from core.settings import Settings
from pipeline.kafka_security import client_kwargs, faust_credentials

BROKER = {"PATROL_BROKER": "kafka-1:9093,kafka-2:9093"}


def construct(client: type, **kwargs: object) -> None:
    """Build an aiokafka client (it checks its options) without connecting; it wants a running loop."""

    async def build() -> None:
        client(bootstrap_servers=BROKER["PATROL_BROKER"], **kwargs)

    asyncio.run(build())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A throwaway CA and a client certificate signed by it (openssl)."""
    d = tmp_path_factory.mktemp("pki")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=patrol test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=patrol-worker")
    run("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "2")
    (d / "not-pem.txt").write_text("hello\n", encoding="utf-8")
    return {"ca": d / "ca.pem", "cert": d / "client.pem", "key": d / "client.key", "junk": d / "not-pem.txt"}


def test_plaintext_adds_nothing() -> None:
    settings = Settings.from_env(BROKER)
    assert client_kwargs(settings) == {}
    assert faust_credentials(settings) is None


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "scram-sha-512"])
def test_sasl_plaintext(mechanism: str) -> None:
    env = {**BROKER, "PATROL_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "PATROL_KAFKA_SASL_MECHANISM": mechanism,
           "PATROL_KAFKA_SASL_USERNAME": "patrol", "PATROL_KAFKA_SASL_PASSWORD": "s3cret"}
    settings = Settings.from_env(env)
    kwargs = client_kwargs(settings)
    assert kwargs == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": mechanism.upper(),
                      "sasl_plain_username": "patrol", "sasl_plain_password": "s3cret"}
    # Faust's own clients get the very same options from its credentials.
    assert dict(credentials_to_aiokafka_auth(faust_credentials(settings))) == {**kwargs, "ssl_context": None}
    construct(AIOKafkaProducer, **kwargs)


def test_sasl_ssl_with_ca_and_client_certificate(pki: dict[str, Path]) -> None:
    env = {**BROKER, "PATROL_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "PATROL_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
           "PATROL_KAFKA_SASL_USERNAME": "patrol", "PATROL_KAFKA_SASL_PASSWORD": "s3cret",
           "PATROL_KAFKA_SSL_CAFILE": str(pki["ca"]), "PATROL_KAFKA_SSL_CERTFILE": str(pki["cert"]), "PATROL_KAFKA_SSL_KEYFILE": str(pki["key"])}
    settings = Settings.from_env(env)
    kwargs = client_kwargs(settings)
    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert any(c["subject"] == ((("commonName", "patrol test CA"),),) for c in context.get_ca_certs())
    credentials = faust_credentials(settings)
    assert isinstance(credentials, faust.SASLCredentials)
    auth = credentials_to_aiokafka_auth(credentials)
    assert auth["security_protocol"] == "SASL_SSL" and auth["sasl_mechanism"] == "SCRAM-SHA-512"
    construct(AIOKafkaConsumer, **kwargs)
    assert set(kwargs) <= set(KafkaAdminClient.DEFAULT_CONFIG)  # kafka-python admin clients take the same names


def test_tls_only(pki: dict[str, Path]) -> None:
    settings = Settings.from_env({**BROKER, "PATROL_KAFKA_SECURITY_PROTOCOL": "SSL", "PATROL_KAFKA_SSL_CAFILE": str(pki["ca"])})
    kwargs = client_kwargs(settings)
    assert kwargs["security_protocol"] == "SSL" and set(kwargs) == {"security_protocol", "ssl_context"}
    assert isinstance(faust_credentials(settings), faust.SSLCredentials)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PATROL_KAFKA_SECURITY_PROTOCOL": "KERBEROS"}, "PATROL_KAFKA_SECURITY_PROTOCOL"),
        ({"PATROL_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "PATROL_KAFKA_SASL_MECHANISM": "GSSAPI",
          "PATROL_KAFKA_SASL_USERNAME": "u", "PATROL_KAFKA_SASL_PASSWORD": "p"}, "PATROL_KAFKA_SASL_MECHANISM"),
        ({"PATROL_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "PATROL_KAFKA_SASL_USERNAME": "u"}, "PATROL_KAFKA_SASL_PASSWORD"),
        ({"PATROL_KAFKA_SECURITY_PROTOCOL": "SSL", "PATROL_KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"}, "PATROL_KAFKA_SSL_CAFILE"),
        ({"PATROL_KAFKA_SSL_CAFILE": "/etc/hostname"}, "PATROL_KAFKA_SSL_CAFILE"),  # TLS file without a TLS protocol
    ],
)
def test_bad_values_name_their_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**BROKER, **env})


def test_security_needs_a_configured_cluster() -> None:
    with pytest.raises(ConfigError, match="PATROL_BROKER"):
        Settings.from_env({"PATROL_KAFKA_SECURITY_PROTOCOL": "SSL"})


def test_unreadable_certificates_are_config_errors(pki: dict[str, Path]) -> None:
    settings = Settings.from_env({**BROKER, "PATROL_KAFKA_SECURITY_PROTOCOL": "SSL", "PATROL_KAFKA_SSL_CAFILE": str(pki["junk"])})
    with pytest.raises(ConfigError, match="PATROL_KAFKA_SSL_CAFILE"):
        client_kwargs(settings)
    settings = Settings.from_env({**BROKER, "PATROL_KAFKA_SECURITY_PROTOCOL": "SSL", "PATROL_KAFKA_SSL_CAFILE": str(pki["ca"]),
                                  "PATROL_KAFKA_SSL_CERTFILE": str(pki["junk"])})
    with pytest.raises(ConfigError, match="PATROL_KAFKA_SSL_CERTFILE"):
        client_kwargs(settings)


def test_settings_command_hides_secrets_and_refuses_bad_values(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**BROKER, "PATROL_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "PATROL_KAFKA_SASL_USERNAME": "patrol",
                        "PATROL_KAFKA_SASL_PASSWORD": "hunter2-secret", "PATROL_KAFKA_SSL_KEY_PASSWORD": ""}.items():
        monkeypatch.setenv(name, value)
    assert main(["settings"]) == 0
    out = capsys.readouterr().out
    assert "hunter2-secret" not in out
    assert "PATROL_KAFKA_SASL_PASSWORD=***" in out and "PATROL_KAFKA_SASL_USERNAME=patrol" in out
    monkeypatch.setenv("PATROL_KAFKA_SASL_MECHANISM", "MD5")
    assert main(["settings"]) == 2
    assert "PATROL_KAFKA_SASL_MECHANISM" in capsys.readouterr().err


def test_an_encrypted_client_key_without_its_password_is_a_clear_error_never_a_prompt(pki: dict[str, Path], tmp_path: Path) -> None:
    """OpenSSL asked for the pass phrase on the terminal ("Enter PEM pass phrase:"): a worker started from a shell
    waited for it, one without a terminal failed with `[Errno 22] Invalid argument`. A wrong password said `PEM lib`."""
    subprocess.run(["openssl", "pkey", "-in", str(pki["key"]), "-out", str(tmp_path / "locked.key"), "-aes256", "-passout", "pass:hunter2"],
                   check=True, capture_output=True)
    env = {**BROKER, "PATROL_KAFKA_SECURITY_PROTOCOL": "SSL", "PATROL_KAFKA_SSL_CERTFILE": str(pki["cert"]),
           "PATROL_KAFKA_SSL_KEYFILE": str(tmp_path / "locked.key")}
    script = ("import sys; from core.settings import Settings; from pipeline.kafka_security import client_kwargs\n"
              "try: client_kwargs(Settings.from_env())\nexcept Exception as e: print(e)")
    # a pipe standing for a terminal: OpenSSL's prompt read the line typed into it
    done = subprocess.run([sys.executable, "-c", script], input="hunter2\n", capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env, "PYTHONPATH": str(Path(__file__).resolve().parents[3])})
    assert "pass phrase" not in done.stdout + done.stderr
    assert "encrypted" in done.stdout and "PATROL_KAFKA_SSL_KEY_PASSWORD" in done.stdout
    with pytest.raises(ConfigError, match="PATROL_KAFKA_SSL_KEY_PASSWORD") as err:
        client_kwargs(Settings.from_env({**env, "PATROL_KAFKA_SSL_KEY_PASSWORD": "wrong"}))
    assert "wrong" not in str(err.value).replace("a wrong PATROL_KAFKA_SSL_KEY_PASSWORD", ""), "the password itself is never shown"
    assert isinstance(client_kwargs(Settings.from_env({**env, "PATROL_KAFKA_SSL_KEY_PASSWORD": "hunter2"}))["ssl_context"], ssl.SSLContext)
