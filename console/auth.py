"""Bearer tokens for the console and the team API, hashed at rest.

Each operator, supervisor and team holds its own token. The tokens file keeps
only salted scrypt hashes (hashlib), so a copied file does not let anyone in.
A token reads `<id>.<secret>`: the id finds its one entry, so a request costs
one scrypt, and verified tokens are cached in memory (keyed by a SHA-256 of
the token) so that the live stream and the phones' polling stay cheap.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import ConfigError, PatrolError
from core.files import read_file
from core.records import OPERATOR_TEAM_ID
from core.validate import DuplicateKey, duplicate_key_line, id_problem, unique_keys

log = logging.getLogger(__name__)

ROLES: tuple[str, ...] = ("operator", "supervisor", "team")
CONSOLE_ROLES: tuple[str, ...] = ("operator", "supervisor")
FILE_VERSION = 1

# scrypt cost: ~16 MiB and a few tens of ms per check; cached after the first.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")  # \Z: `$` let a final newline through
_SCRYPT_MAXMEM = 128 * 1024 * 1024  # the most memory one check may take (`hashlib.scrypt`'s maxmem)


@dataclass(frozen=True)
class Principal:
    """Who is calling: role, display name, for a team its team id, and the dispatch centres it may see (None: every one)."""

    token_id: str
    role: str
    name: str
    team_id: str | None = None
    centres: frozenset[str] | None = None

    def covers(self, centre: str) -> bool:
        """Whether this token may read and command what belongs to `centre` (a token without `centres`: all)."""
        return self.centres is None or centre in self.centres


def hash_token(token: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """Salted scrypt hash of a token, self-describing: `scrypt$n$r$p$salt$hash`."""
    salt = salt if salt is not None else secrets.token_bytes(_SALT_BYTES)
    digest = hashlib.scrypt(token.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_HASH_BYTES, maxmem=_SCRYPT_MAXMEM)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def verify_token(token: str, encoded: str) -> bool:
    """Constant-time check of a token against `hash_token` output; False on any malformed hash."""
    try:
        algo, n, r, p, salt_hex, hash_hex = encoded.split("$")
        if algo != "scrypt":
            return False
        expected = bytes.fromhex(hash_hex)
        actual = hashlib.scrypt(
            token.encode("utf-8"), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=len(expected), maxmem=_SCRYPT_MAXMEM
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _encodable(token: str) -> bool:
    """False for a header aiohttp read from bytes that are not UTF-8 (lone surrogates): no token, not a 500 when hashed."""
    try:
        token.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def split_token(token: str) -> tuple[str, str] | None:
    """`<id>.<secret>` -> (id, secret); None when the token has no valid id part."""
    token_id, sep, secret = token.partition(".")
    if not sep or not secret or not _ID_RE.match(token_id):
        return None
    return token_id, secret


def _parse_file(path: Path, raw: bytes | None) -> tuple[dict[str, Any], list[int] | None]:
    """The tokens file's JSON (None: a missing file, no tokens) and the line of each entry (`_entry_lines`);
    ConfigError with the line when broken. A byte-order mark is tolerated, as in every hand-edited file."""
    if raw is None:
        return {"version": FILE_VERSION, "kdf": "scrypt", "tokens": []}, None
    try:
        text = raw.decode("utf-8-sig")
        data = json.loads(text, object_pairs_hook=unique_keys)
    except DuplicateKey as exc:  # `"role": "team", ..., "role": "supervisor"` loaded a supervisor's token: the last won
        raise ConfigError(f"not valid JSON: {exc} (only one value can be meant)", path=str(path), line=duplicate_key_line(text)) from exc
    except UnicodeDecodeError as exc:
        start = exc.start + len(raw) - len(exc.object)  # counted from after a byte-order mark
        raise ConfigError(f"not UTF-8 text ({exc.reason})", path=str(path), line=raw[:start].count(b"\n") + 1) from exc
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", path=str(path), line=exc.lineno) from exc
    except RecursionError as exc:
        raise ConfigError("not valid JSON: nested too deeply", path=str(path)) from exc
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), list):
        raise ConfigError('expected an object with a "tokens" list', path=str(path))
    return data, _entry_lines(text, len(data["tokens"]))


def _entry_lines(text: str, count: int) -> list[int] | None:
    """The line each entry of the "tokens" list starts on (None when the text cannot be walked so)."""
    decoder = json.JSONDecoder()
    found = re.search(r'"tokens"\s*:\s*\[', text)
    if found is None:
        return None
    lines: list[int] = []
    pos = found.end()
    try:
        while True:
            pos = len(text) - len(text[pos:].lstrip())
            if text[pos] == "]":
                break
            lines.append(text.count("\n", 0, pos) + 1)
            pos = decoder.raw_decode(text, pos)[1]
            pos = len(text) - len(text[pos:].lstrip())
            if text[pos] == ",":
                pos += 1
    except (ValueError, IndexError):
        return None
    return lines if len(lines) == count else None


def _hash_problem(encoded: str) -> str | None:
    """Why `verify_token` could never accept a token against this hash (it says False, as for a wrong token)."""
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return "must be a scrypt hash from hash_token (scrypt$n$r$p$salt$hash)"
    _, n, r, p, salt_hex, hash_hex = parts
    if not all(x.isdecimal() for x in (n, r, p)):
        return "n, r and p must be whole numbers"
    cost, block, lanes = int(n), int(r), int(p)
    if cost < 2 or cost & (cost - 1) or block < 1 or lanes < 1:
        return "n must be a power of two and r, p at least 1"
    if 128 * block * (cost + lanes + 2) > _SCRYPT_MAXMEM:
        return f"n and r ask more memory than a check may take ({_SCRYPT_MAXMEM // 2**20} MiB)"
    try:
        if not bytes.fromhex(salt_hex) or not bytes.fromhex(hash_hex):
            return "salt and hash must not be empty"
    except ValueError:
        return "salt and hash must be hexadecimal (an even number of 0-9, a-f)"
    return None


MAX_TOKEN_NAME = 80  # a token's name: the `by` of its holder's acks and commands, shown on every page


def _entry_problem(role: object, team_id: object, name: object) -> str | None:
    """Why a token's name or team id cannot go on the records its holder's writes become, else None.

    Taken as they were, a name with a line break or over 200 characters (the `by` of every ack and command) or a team
    id `console` (the operators' acks) made each write a record the desk dead-letters after the console answered 202.
    """
    if name is not None and (not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_TOKEN_NAME or not name.isprintable()):
        return f"name must be printable text of 1..{MAX_TOKEN_NAME} characters"
    if role == "team":
        if not isinstance(team_id, str) or id_problem(team_id.strip()) is not None or team_id != team_id.strip():
            return "team_id must be a team's id: printable, no surrounding spaces, at most 200 characters"
        if team_id == OPERATOR_TEAM_ID:
            return f"team_id {OPERATOR_TEAM_ID!r} is the operators' (their acks carry it), not a team's"
    return None


def _centres_problem(role: object, centres: object, known: Collection[str] | None) -> str | None:
    """Why a token's `centres` cannot scope it, else None. Absent is every centre (token files from before keep working)."""
    if centres is None:
        return None
    if role not in CONSOLE_ROLES:
        return "centres only applies to operator and supervisor tokens (a team token is bound to its team)"
    if not isinstance(centres, list) or not centres or not all(isinstance(c, str) for c in centres):
        return "centres must be a non-empty list of centre ids"
    if known is not None and (unknown := [c for c in centres if c not in known]):
        return f"centres: unknown centre {unknown[0]!r:.40} (this deployment: {', '.join(known)})"
    return None


def _read_raw(path: Path) -> bytes | None:
    """The tokens file's bytes, None when there is none (no tokens); a folder, a device or a pipe is a ConfigError."""
    try:
        path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read tokens file: {exc}", path=str(path)) from exc
    return read_file(path, "tokens file")


def _read_file(path: Path) -> tuple[dict[str, Any], list[int] | None]:
    return _parse_file(path, _read_raw(path))


def _entries(path: Path, parsed: tuple[dict[str, Any], list[int] | None], known: Collection[str] | None = None) -> dict[str, dict[str, Any]]:
    """Validate the entries; a bad entry names its index and line so an operator can fix the file.

    `known`: the deployment's centres (PATROL_CITIES); a token scoped to another is refused (None: not checked)."""
    data, lines = parsed
    out: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(data["tokens"]):
        where, line = f"tokens[{i}]", lines[i] if lines is not None else None
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected an object", path=str(path), line=line)
        token_id, role, hashed = entry.get("id"), entry.get("role"), entry.get("hash")
        if not isinstance(token_id, str) or not _ID_RE.match(token_id):
            raise ConfigError(f"{where}: id must match {_ID_RE.pattern}", path=str(path), line=line)
        if role not in ROLES:
            raise ConfigError(f"{where}: role must be one of {', '.join(ROLES)}", path=str(path), line=line)
        if role == "team" and not isinstance(entry.get("team_id"), str):
            raise ConfigError(f"{where}: a team token needs team_id", path=str(path), line=line)
        if (problem := _entry_problem(role, entry.get("team_id"), entry.get("name"))) is not None:
            raise ConfigError(f"{where}: {problem}", path=str(path), line=line)
        if (problem := _centres_problem(role, entry.get("centres"), known)) is not None:
            raise ConfigError(f"{where}: {problem}", path=str(path), line=line)
        # A hash no check can use loaded silently: its holder's every sign-in was refused as a wrong token.
        if (problem := _hash_problem(hashed) if isinstance(hashed, str) else "must be a scrypt hash from hash_token") is not None:
            raise ConfigError(f"{where}: hash {problem}", path=str(path), line=line)
        if token_id in out:
            raise ConfigError(f"{where}: duplicate id {token_id!r}", path=str(path), line=line)
        out[token_id] = entry
    return out


def add_token(path: Path, role: str, team_id: str | None = None, name: str | None = None, *, token_id: str | None = None, secret: str | None = None,
              centres: list[str] | None = None, known: Collection[str] | None = None) -> str:
    """Create a token, store its hash in the file and return the plaintext (shown once).

    `centres` scopes an operator's or supervisor's token to those dispatch centres (None: every one), checked against
    `known` (the deployment's). The file is rewritten atomically and created with mode 0600.
    """
    if role not in ROLES:
        raise ConfigError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if role == "team" and not team_id:
        raise ConfigError("a team token needs --team TEAM_ID")
    if role != "team" and team_id:
        raise ConfigError("--team only applies to role team")
    if (problem := _entry_problem(role, team_id, name) or _centres_problem(role, centres, known)) is not None:
        raise ConfigError(problem)
    path = Path(path)
    parsed = _read_file(path)
    existing = _entries(path, parsed, known)
    data = parsed[0]
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
            **({"centres": list(dict.fromkeys(centres))} if centres else {}),
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


class TooManyAttempts(PatrolError):
    """Too many failed token checks from one client or for one token id; retry after `retry_after_s`."""

    def __init__(self, what: str, retry_after_s: float) -> None:
        super().__init__(f"too many failed attempts ({what}); retry in {retry_after_s:.0f}s")
        self.retry_after_s = retry_after_s


IPV6_CLIENT_PREFIX = 64  # one IPv6 subscriber's network: its addresses are one client for the failed-attempt limit


def client_key(address: str) -> str:
    """Whom failed attempts are counted against: an IPv4 address (an IPv4-mapped IPv6 one too), an IPv6 address's
    /64. One subscriber holds a whole /64; per address, a guesser changing address at each try was never limited."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


@dataclass
class FailureLimiter:
    """Failed attempts per key (client address, token id) in a sliding window.

    Only failures count, and a token already verified is answered from the
    cache before the limiter is asked, so an outsider guessing cannot lock
    out a phone that is already signed in. A check still running (`begin`
    until `end`) counts as a failure until it is known not to be one: without
    that, a burst of parallel guesses all passed `check` before the first had
    failed, each cost a scrypt, and the limit did not hold.
    """

    max_failures: int = 10
    window_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _pending: dict[str, int] = field(default_factory=dict)

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        times = self._failures.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def check(self, *keys: str) -> None:
        """Raise TooManyAttempts when any key is over its limit (failures in the window plus checks in flight)."""
        for key in keys:
            times = self._recent(key)
            if len(times) + self._pending.get(key, 0) >= self.max_failures:
                # Over the limit only by checks in flight: those end within a KDF run or two.
                retry = times[0] + self.window_s - self.clock() if len(times) >= self.max_failures else 1.0
                raise TooManyAttempts(key.partition(":")[0], retry)

    def begin(self, *keys: str) -> None:
        """`check`, then count one check in flight for each key until `end`."""
        self.check(*keys)
        for key in keys:
            self._pending[key] = self._pending.get(key, 0) + 1

    def end(self, *keys: str, failed: bool) -> None:
        """A check begun with `begin` is over; a failed one is remembered in the window."""
        for key in keys:
            left = self._pending.get(key, 0) - 1
            if left > 0:
                self._pending[key] = left
            else:
                self._pending.pop(key, None)
        if failed:
            self.fail(*keys)

    def fail(self, *keys: str) -> None:
        now = self.clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > 100_000:  # a flood of distinct keys: forget the oldest
                self._failures.pop(next(iter(self._failures)))


class TooManyWrites(PatrolError):
    """One token wrote faster than its budget (`WriteLimiter`)."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"too many writes for this token; retry in {retry_after_s:.0f}s")
        self.retry_after_s = retry_after_s


@dataclass
class WriteLimiter:
    """A token bucket of writes per signed-in token: `rate` a second kept up, `burst` at once.

    A valid token had no limit: a phone stuck in a retry loop, or a stolen
    token, could send acks and statuses as fast as the console took them,
    each a broker record every worker then reads. A phone's outbox sent after
    a dead zone is a burst of a few dozen, well inside `burst`.
    """

    rate: float = 10.0
    burst: int = 60
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # key -> (tokens left, at)

    def take(self, key: str) -> None:
        """Spend one write of `key`'s budget, or raise TooManyWrites with the wait until one is back."""
        now = self.clock()
        left, at = self._buckets.get(key, (float(self.burst), now))
        left = min(float(self.burst), left + (now - at) * self.rate)
        if left < 1.0:
            self._buckets[key] = (left, now)
            raise TooManyWrites((1.0 - left) / self.rate)
        self._buckets[key] = (left - 1.0, now)
        if len(self._buckets) > 100_000:  # tokens are few; bound it anyway
            self._buckets.pop(next(iter(self._buckets)))


# Verified against when the token id is unknown, so that an unknown id costs
# exactly what a wrong secret does and timing does not tell which ids exist.
_DUMMY_HASH = hash_token("patrol-dummy.never-valid", salt=bytes(_SALT_BYTES))


class TokenStore:
    """Authenticates bearer tokens against the tokens file; reloads it when its content changes.

    A file that fails to load at start raises ConfigError; one that breaks
    later is refused: the last good tokens stay in force and `load_error`
    says why (file:line), for the log and the console's /healthz.
    """

    def __init__(self, path: Path, *, limiter: FailureLimiter | None = None, kdf_slots: int = 2,
                 writes: WriteLimiter | None = None, centres: Collection[str] | None = None) -> None:
        """`centres`: the deployment's dispatch centres, which a token's `centres` must name (None: not checked)."""
        self.path = Path(path)
        self.centres = tuple(centres) if centres is not None else None
        self.limiter = limiter or FailureLimiter()
        self.writes = writes or WriteLimiter()
        self.load_error: str | None = None
        self._lock = threading.Lock()
        self._signature: tuple[int, ...] | None = None
        self._digest: bytes | None = None
        self._entries: dict[str, dict[str, Any]] = {}
        self._cache: dict[bytes, Principal] = {}
        self._kdf_slots = kdf_slots
        self._kdf_pool: ThreadPoolExecutor | None = None
        self._kdf_gate: asyncio.Semaphore | None = None
        self.reload()

    def _stat(self) -> tuple[int, ...] | None:
        """What changes whenever the file is written or replaced (ctime cannot be set back)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_dev, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def reload(self) -> None:
        """Read the file (missing file: no tokens, every call is refused); ConfigError when it is broken."""
        signature = self._stat()
        raw = _read_raw(self.path)
        digest = None if raw is None else hashlib.sha256(raw).digest()
        if digest == self._digest and self._signature is not None:
            self._signature = signature  # touched, or the good file put back: same content
            self.load_error = None
            return
        entries = _entries(self.path, _parse_file(self.path, raw), self.centres)
        with self._lock:
            # A verified token stays verified while its entry is unchanged; a deleted or edited entry drops it.
            self._cache = {k: p for k, p in self._cache.items() if entries.get(p.token_id) == self._entries.get(p.token_id)}
            self._entries = entries
            self._signature = signature
            self._digest = digest
            self.load_error = None

    def _maybe_reload(self) -> None:
        if self._stat() == self._signature:
            return
        try:
            self.reload()
        except ConfigError as exc:
            if str(exc) != self.load_error:
                log.error("tokens file not reloaded, keeping the last good tokens: %s", exc)
            self.load_error = str(exc)
            self._signature = self._stat()  # do not re-read a broken file on every request

    def _principal(self, token: str) -> Principal | None:
        """The scrypt check: exactly one KDF run whether the id exists or not."""
        parts = split_token(token)
        entry = self._entries.get(parts[0]) if parts else None
        ok = verify_token(token, str(entry["hash"]) if entry else _DUMMY_HASH)
        if not ok or entry is None:
            return None
        return Principal(
            token_id=str(entry["id"]),
            role=str(entry["role"]),
            name=str(entry.get("name") or entry["id"]),
            team_id=entry.get("team_id") if entry["role"] == "team" else None,
            centres=frozenset(entry["centres"]) if entry.get("centres") is not None else None,
        )

    def _cached(self, token: str) -> tuple[bytes, Principal | None]:
        self._maybe_reload()
        key = hashlib.sha256(token.encode("utf-8")).digest()
        with self._lock:
            return key, self._cache.get(key)

    def _remember(self, key: bytes, principal: Principal) -> None:
        with self._lock:
            self._cache[key] = principal

    def authenticate(self, token: str | None) -> Principal | None:
        """The principal of a valid token, else None (blocking; servers use `authenticate_async`)."""
        if not token or not _encodable(token):
            return None
        key, cached = self._cached(token)
        if cached is not None:
            return cached
        principal = self._principal(token)
        if principal is not None:
            self._remember(key, principal)
        return principal

    async def authenticate_async(self, token: str, client: str) -> Principal | None:
        """Like `authenticate`, with the KDF off the event loop and failures limited per client and token id.

        Raises TooManyAttempts when `client` or the token's id failed too often, counting its checks still running.
        """
        if not token or not _encodable(token):
            return None
        key, cached = self._cached(token)
        if cached is not None:
            return cached
        parts = split_token(token)
        keys = (f"client:{client_key(client)}", f"token id:{parts[0] if parts else '-'}")
        self.limiter.begin(*keys)  # parallel guesses count while they wait for the KDF
        checked, principal = False, None
        try:
            if self._kdf_pool is None or self._kdf_gate is None:
                self._kdf_pool = ThreadPoolExecutor(max_workers=self._kdf_slots, thread_name_prefix="patrol-kdf")
                self._kdf_gate = asyncio.Semaphore(self._kdf_slots)
            async with self._kdf_gate:
                principal = await asyncio.get_running_loop().run_in_executor(self._kdf_pool, self._principal, token)
            checked = True
        finally:
            self.limiter.end(*keys, failed=checked and principal is None)  # a request cancelled while waiting is no failure
        if principal is None:
            return None
        self._remember(key, principal)
        return principal

    def is_current(self, token: str) -> bool:
        """Whether a token verified before is still in the file, unchanged: an open stream re-checks it, without a KDF run."""
        return self._cached(token)[1] is not None

    def demo_token_ids(self) -> list[str]:
        """Ids of entries that still hold a published demo token (`demo-X.winter-warmth-X`)."""
        return [
            token_id
            for token_id, entry in self._entries.items()
            if token_id.startswith("demo-") and verify_token(f"{token_id}.winter-warmth-{token_id[5:]}", str(entry["hash"]))
        ]

    def __len__(self) -> int:
        return len(self._entries)
