"""Kafka client security from the settings: one place builds it for every client.

aiokafka and kafka-python take the same keyword names (`security_protocol`,
`sasl_mechanism`, `sasl_plain_username`, `sasl_plain_password`,
`ssl_context`), so `client_kwargs` serves both; Faust takes the same through
`broker_credentials` (`faust_credentials`). With the default PLAINTEXT the
kwargs are empty and every client behaves as before.
"""

from __future__ import annotations

import ssl
from typing import Any

from core.errors import ConfigError
from core.settings import Settings, validate_kafka_security


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A verifying TLS context: the given CA file (else the system's CAs) and the client certificate if any."""
    try:
        context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile or None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"PATROL_KAFKA_SSL_CAFILE={settings.kafka_ssl_cafile!r}: not a PEM CA bundle: {exc}") from exc
    if settings.kafka_ssl_certfile:
        try:
            context.load_cert_chain(
                settings.kafka_ssl_certfile,
                settings.kafka_ssl_keyfile or None,
                password=settings.kafka_ssl_key_password or _no_key_password,
            )
        except ConfigError:
            raise
        except ssl.SSLError as exc:
            # OpenSSL says only "PEM lib" (no reason) for a key its password does not decrypt
            wrong = settings.kafka_ssl_key_password and (exc.reason is None or exc.reason in _WRONG_PASSWORD)
            raise _unloadable(settings, exc, " (a wrong PATROL_KAFKA_SSL_KEY_PASSWORD?)" if wrong else "") from exc
        except OSError as exc:
            raise _unloadable(settings, exc) from exc
    return context


_WRONG_PASSWORD = ("PEM_LIB", "BAD_DECRYPT", "BAD_PASSWORD_READ")


def _no_key_password() -> str:
    """Asked only for an encrypted key: without this OpenSSL prompted on the terminal ("Enter PEM pass phrase:")
    and a worker started from a shell waited for an answer; without a terminal it failed with `[Errno 22]`."""
    raise ConfigError("PATROL_KAFKA_SSL_KEYFILE is an encrypted key: set PATROL_KAFKA_SSL_KEY_PASSWORD (or give an unencrypted key, mode 0600)")


def _unloadable(settings: Settings, exc: Exception, hint: str = "") -> ConfigError:
    return ConfigError(
        f"PATROL_KAFKA_SSL_CERTFILE={settings.kafka_ssl_certfile!r} / PATROL_KAFKA_SSL_KEYFILE={settings.kafka_ssl_keyfile!r}: "
        f"cannot load the client certificate and key: {exc}{hint}"
    )


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for any aiokafka or kafka-python client (producer, consumer, admin)."""
    validate_kafka_security(settings)
    protocol = settings.kafka_security_protocol.upper()
    if protocol == "PLAINTEXT":
        return {}
    out: dict[str, Any] = {"security_protocol": protocol}
    if protocol.startswith("SASL_"):
        out["sasl_mechanism"] = settings.kafka_sasl_mechanism.upper()
        out["sasl_plain_username"] = settings.kafka_sasl_username
        out["sasl_plain_password"] = settings.kafka_sasl_password
    if protocol in ("SSL", "SASL_SSL"):
        out["ssl_context"] = ssl_context(settings)
    return out


def faust_credentials(settings: Settings) -> Any:
    """Faust's `broker_credentials` for the same settings (None for PLAINTEXT)."""
    import faust
    from faust.types.auth import SASLMechanism

    kwargs = client_kwargs(settings)
    if not kwargs:
        return None
    context = kwargs.get("ssl_context")
    if "sasl_mechanism" in kwargs:
        return faust.SASLCredentials(
            username=kwargs["sasl_plain_username"],
            password=kwargs["sasl_plain_password"],
            mechanism=SASLMechanism(kwargs["sasl_mechanism"]),
            ssl_context=context,
        )
    return faust.SSLCredentials(context)
