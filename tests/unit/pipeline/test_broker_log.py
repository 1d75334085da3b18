"""The embedded broker's log in the shared temporary folder: never through another user's link."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from core.errors import BrokerError
from pipeline import broker
from pipeline.broker import EmbeddedBroker, open_log


def test_a_link_planted_where_the_broker_logs_is_refused_and_its_target_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`patrol broker` logs to `<tmp>/patrol-tansu-PORT.log`, a name any local user can guess and plant a link at:
    the broker appended its log to the link's target (a victim's `~/.bashrc`)."""
    shared = tmp_path / "tmp"
    shared.mkdir()
    victim = tmp_path / "bashrc"
    victim.write_text("alias ls='ls --color'\n")
    (shared / "patrol-tansu-19092.log").symlink_to(victim)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    monkeypatch.setattr(broker, "tansu_binary", lambda: "/nonexistent/tansu")
    with pytest.raises(BrokerError, match="symbolic link"):
        EmbeddedBroker(port=19092).start()
    assert victim.read_text() == "alias ls='ls --color'\n"


def test_the_log_is_private_and_appended_to(tmp_path: Path) -> None:
    path = tmp_path / "b.log"
    for line in (b"one\n", b"two\n"):
        with open_log(path) as out:
            out.write(line)
    assert path.read_bytes() == b"one\ntwo\n" and (os.stat(path).st_mode & 0o777) == 0o600
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(BrokerError, match="broker's log"):  # at once, not waiting for a reader
        open_log(fifo)
