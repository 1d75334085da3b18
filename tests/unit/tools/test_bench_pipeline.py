"""The pipeline bench waits for the worker to read its backlog before it measures latency."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools.bench_pipeline import settle


def _metrics_server(lags: list[int]) -> tuple[ThreadingHTTPServer, list[int]]:
    """A /metrics page whose tips lag is the next of `lags` (the last one repeats); the lags served."""
    served: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            lag = lags[min(len(served), len(lags) - 1)]
            served.append(lag)
            body = (
                "# TYPE patrol_consumer_lag gauge\n"
                f'patrol_consumer_lag{{partition="0",topic="tips"}} {lag}\n'
                'patrol_consumer_lag{partition="0",topic="clock"} 0\n'
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, served


Page = Callable[[list[int]], tuple[int, list[int]]]


@pytest.fixture
def page() -> Iterator[Page]:
    servers: list[ThreadingHTTPServer] = []

    def make(lags: list[int]) -> tuple[int, list[int]]:
        server, served = _metrics_server(lags)
        servers.append(server)
        return server.server_address[1], served

    yield make
    for server in servers:
        server.shutdown()


def test_settle_waits_until_the_lag_is_zero_twice_in_a_row(page: Page) -> None:
    port, served = page([40, 0, 12, 0, 0])
    waited = asyncio.run(settle(port, timeout_s=30.0))
    assert served == [40, 0, 12, 0, 0]  # a single 0 between backlogs is not quiet
    assert waited < 30.0


def test_settle_gives_up_after_its_timeout(page: Page) -> None:
    port, served = page([7])
    waited = asyncio.run(settle(port, timeout_s=0.6))
    assert 0.6 <= waited < 5.0 and set(served) == {7}
