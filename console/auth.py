"""Bearer tokens for the console and the team API, hashed at rest.

Each operator, supervisor and team holds its own token. The tokens file keeps
only salted scrypt hashes (hashlib), so a copied file does not let anyone in.
A token reads `<id>.<secret>`: the id finds its one entry, so a request costs
one scrypt, and verified tokens are cached in memory (keyed by a SHA-256 of
the token) so that the live stream and the phones' polling stay cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import ConfigError

ROLES: tuple[str, ...] = ("operator", "supervisor", "team")
CONSOLE_ROLES: tuple[str, ...] = ("operator", "supervisor")
FILE_VERSION = 1

# scrypt cost: ~16 MiB and a few tens of ms per check; cached after the first.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: role, display name and, for a team, its team id."""

    token_id: str
    role: str
    name: str
    team_id: str | None = None


def hash_token(token: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """Salted scrypt hash of a token, self-describing: `scrypt$n$r$p$salt$hash`."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(token.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_HASH_BYTES, maxmem=128 * 1024 * 1024)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_token(token: str, encoded: str) -> bool:
    """Constant-time check of a token against `hash_token` output; False on any malformed hash."""
    try:
        algo, n, r, p, salt_hex, hash_hex = encoded.split("$")
        if algo != "scrypt":
            return False
        expected = bytes.fromhex(hash_hex)
        actual = hashlib.scrypt(
            token.encode("utf-8"), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=len(expected), maxmem=128 * 1024 * 1024
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def split_token(token: str) -> tuple[str, str] | None:
    """`<id>.<secret>` -> (id, secret); None when the token has no valid id part."""
    token_id, sep, secret = token.partition(".")
    if not sep or not secret or not _ID_RE.match(token_id):
        return None
    return token_id, secret


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {"version": FILE_VERSION, "kdf": "scrypt", "tokens": []}
    except OSError as exc:
        raise ConfigError(f"cannot read tokens file: {exc}", path=str(path)) from exc
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", path=str(path), line=exc.lineno) from exc
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
        raise ConfigError('expected an object with a "tokens" list', path=str(path))
    return data


def _entries(path: Path, data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Validate the entries; a bad entry names its index so an operator can fix the file."""
    out: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(data["tokens"]):
        where = f"tokens[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected an object", path=str(path))
        token_id, role, hashed = entry.get("id"), entry.get("role"), entry.get("hash")
        if not isinstance(token_id, str) or not _ID_RE.match(token_id):
            raise ConfigError(f"{where}: id must match {_ID_RE.pattern}", path=str(path))
        if role not in ROLES:
            raise ConfigError(f"{where}: role must be one of {', '.join(ROLES)}", path=str(path))
        if role == "team" and not isinstance(entry.get("team_id"), str):
            raise ConfigError(f"{where}: a team token needs team_id", path=str(path))
        if not isinstance(hashed, str) or not hashed.startswith("scrypt$"):
            raise ConfigError(f"{where}: hash must be a scrypt hash from hash_token", path=str(path))
        if token_id in out:
            raise ConfigError(f"{where}: duplicate id {token_id!r}", path=str(path))
        out[token_id] = entry
    return out


def add_token(path: Path, role: str, team_id: str | None = None, name: str | None = None, *, token_id: str | None = None, secret: str | None = None) -> str:
    """Create a token, store its hash in the file and return the plaintext (shown once).

    The file is rewritten atomically and created with mode 0600.
    """
    if role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "team" and not team_id:
        raise ConfigError("a team token needs --team TEAM_ID")
    if role != "team" and team_id:
        raise ConfigError("--team only applies to role team")
    path = Path(path)
    data = _read_file(path)
    existing = _entries(path, data)
    token_id = token_id or secrets.token_hex(4)
    if not _ID_RE.match(token_id):
        raise ConfigError(f"token id must match {_ID_RE.pattern}")
    if token_id in existing:
        raise ConfigError(f"token id {token_id!r} already exists", path=str(path))
    secret = secret or secrets.token_urlsafe(24)
    token = f"{token_id}.{secret}"
    data["tokens"].append(
        {
            "id": token_id,
            "role": role,
            "team_id": team_id if role == "team" else None,
            "name": name or (team_id if role == "team" else role),
            "hash": hash_token(token),
            "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        }
    )
    data.setdefault("version", FILE_VERSION)
    data.setdefault("kdf", "scrypt")
    _write_atomic(path, data)
    return token


def _write_atomic(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "{\n" + ",\n".join(
        f"  {json.dumps(k)}: " + (_tokens_json(v) if k == "tokens" else json.dumps(v, ensure_ascii=False)) for k, v in data.items()
    ) + "\n}\n"
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tokens-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _tokens_json(tokens: list[dict[str, Any]]) -> str:
    """One entry per line, so a diff of the file shows which token was added."""
    if not tokens:
        return "[]"
    return "[\n" + ",\n".join("    " + json.dumps(t, ensure_ascii=False) for t in tokens) + "\n  ]"


class TokenStore:
    """Authenticates bearer tokens against the tokens file; reloads it when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._entries: dict[str, dict[str, Any]] = {}
        self._cache: dict[bytes, Principal] = {}
        self.reload()

    def reload(self) -> None:
        """Read the file (missing file: no tokens, every call is refused)."""
        data = _read_file(self.path)
        entries = _entries(self.path, data)
        try:
            mtime: float | None = self.path.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        with self._lock:
            self._entries = entries
            self._mtime = mtime
            self._cache.clear()

    def _maybe_reload(self) -> None:
        try:
            mtime: float | None = self.path.stat().st_mtime
        except FileNotFoundError:
            mtime = None
        if mtime != self._mtime:
            self.reload()

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal of a valid token, else None."""
        if not token:
            return None
        self._maybe_reload()
        key = hashlib.sha256(token.encode("utf-8")).digest()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        parts = split_token(token)
        if parts is None:
            return None
        entry = self._entries.get(parts[0])
        if entry is None or not verify_token(token, str(entry["hash"])):
            return None
        principal = Principal(
            token_id=str(entry["id"]),
            role=str(entry["role"]),
            name=str(entry.get("name") or entry["id"]),
            team_id=entry.get("team_id") if entry["role"] == "team" else None,
        )
        with self._lock:
            self._cache[key] = principal
        return principal

    def __len__(self) -> int:
        return len(self._entries)
