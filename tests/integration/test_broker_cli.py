"""`patrol broker` never leaves its Tansu child behind: SIGTERM, SIGINT or its own death."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT
from pipeline.broker import free_port, wait_until_ready

pytestmark = pytest.mark.integration


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def _gone(pid: int, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as fh:  # a zombie has exited; its parent reaps it
                if fh.read().split(")")[-1].split()[0] == "Z":
                    return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.1)
    return False


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _start(port: int) -> tuple[subprocess.Popen[bytes], int]:
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "broker", "--port", str(port)], cwd=str(PROJECT_ROOT),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until_ready(f"127.0.0.1:{port}", timeout_s=60)
    children = _children(proc.pid)
    assert len(children) == 1, children
    return proc, children[0]


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_the_broker_starts_stops_the_command_and_its_child(how: signal.Signals) -> None:
    """A signal that came while the command still probed its child for readiness raised KeyboardInterrupt inside
    kafka-python, which could swallow it: the command then ran on (CI: SIGINT, no exit within 60 s)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "broker", "--port", str(port)], cwd=str(PROJECT_ROOT),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not _children(proc.pid):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    tansu = _children(proc.pid)[0]
    proc.send_signal(how)
    assert proc.wait(30) == 0
    assert _gone(tansu), f"Tansu {tansu} still running after {how.name} during start"


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_broker_child_stops_with_the_command(how: signal.Signals) -> None:
    port = free_port()
    proc, tansu = _start(port)
    proc.send_signal(how)
    proc.wait(60)
    if how != signal.SIGKILL:
        assert proc.returncode == 0
    assert _gone(tansu), f"Tansu {tansu} still running after {how.name} to patrol broker"
    deadline = time.monotonic() + 30
    while not _port_free(port):
        assert time.monotonic() < deadline, f"port {port} still taken"
        time.sleep(0.1)
    proc2, _ = _start(port)  # the next broker gets the port
    proc2.terminate()
    proc2.wait(60)
