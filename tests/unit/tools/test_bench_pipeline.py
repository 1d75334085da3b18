"""The pipeline bench: it waits for the worker to read its backlog before it measures latency, and reads a phase's figures from the worker's metrics."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.errors import ConfigError
from tools.bench_pipeline import (
    HOPS,
    Paced,
    check_event_span,
    format_hops,
    hop_split,
    latency_tips,
    low_tips,
    percentile,
    scrape,
    settle,
    stage_layout,
    stage_times,
)


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


def test_stage_times_give_the_desks_share_and_the_workers_cpu_per_tip() -> None:
    before = {"process_cpu_seconds_total": 10.0, "patrol_desk_batch_seconds_count": 4.0, "patrol_desk_batch_seconds_sum": 0.5,
              "patrol_records_in_total": 100.0}
    after = {"process_cpu_seconds_total": 13.0, "patrol_desk_batch_seconds_count": 14.0, "patrol_desk_batch_seconds_sum": 2.5,
             "patrol_records_in_total": 3100.0}
    stages = stage_times(before, after, elapsed=4.0, tips=2000)
    assert stages["cpu_ms_per_tip"] == 1.5  # 3 s of CPU over 2000 tips
    assert stages["cpu_share"] == 0.75
    assert stages["desk_batches"] == 10 and stages["desk_batch_ms"] == 200.0 and stages["desk_share"] == 0.5
    assert stages["records_in"] == 3000


def test_a_run_longer_than_the_desks_bound_past_the_clock_tick_is_refused_before_it_starts() -> None:
    check_event_span(3000, 60.0)  # the default: 50 min, then 2000 tips (33 min)
    assert latency_tips(3000, 500.0) == 2000 and latency_tips(1000, 500.0) == 1000
    with pytest.raises(ConfigError, match="max_ahead_min"):
        check_event_span(4000, 60.0)  # the burst: 67 min of event time


def test_hop_split_takes_each_tip_apart_by_its_records_timestamps() -> None:
    # 100 tips: tip n sent at 1000 n ms, its report 5 + n % 10 ms later, its dispatch event 20 ms after the report
    # (tip 99's 300 ms: the tail), read by the bench 3 ms after that.
    run = Paced([], {}, {})
    reported: dict[str, float] = {}
    for n in range(100):
        tip, sent = f"bench-{n}", 1000.0 * n
        run.sent_ms[tip] = sent
        reported[tip] = sent + 5 + n % 10
        desk = 300.0 if n == 99 else 20.0
        run.dispatched_ms[tip] = (reported[tip] + desk, reported[tip] + desk + 3)
    run.sent_ms["bench-lost"] = 0.0  # never reported: left out, not a zero
    hops = hop_split(run, reported)
    assert list(hops) == list(HOPS)
    assert hops["tip -> report"] == (10.0, 14.0)  # the 50th and 99th of 5..14, ten of each
    assert hops["report -> dispatch"] == (20.0, 300.0)
    assert hops["dispatch -> bench"] == (3.0, 3.0)
    assert format_hops(hops) == "tip -> report 10/14; report -> dispatch 20/300; dispatch -> bench 3/3"


def test_percentile_is_the_benchs_index_and_the_low_run_is_two_seconds_within_the_burst() -> None:
    ordered = [float(v) for v in range(1, 201)]
    assert percentile(ordered, 0.99) == 199.0 and percentile(ordered, 0.5) == 101.0
    assert percentile([7.0], 0.99) == 7.0
    assert low_tips(3000, 50.0) == 100 and low_tips(3000, 1.0) == 20 and low_tips(30, 500.0) == 30


def test_settle_and_scrape_take_every_worker_process(page: Page) -> None:
    """A split worker: the lag and the metrics are summed over its processes, so one behind keeps the bench waiting."""
    quiet, _ = page([0])
    behind, served = page([5, 5, 0])
    assert asyncio.run(scrape(quiet, behind))["patrol_consumer_lag"] == 5
    asyncio.run(settle(quiet, behind, timeout_s=30.0))
    assert served[-3:] == [5, 0, 0]


def test_the_split_layout_names_each_stage_once() -> None:
    assert stage_layout("intake/desk,notify") == ("intake", "desk,notify")
    assert stage_layout("notify,intake/desk") == ("intake,notify", "desk")
    assert stage_layout("intake/desk/notify") == ("intake", "desk", "notify")
    for bad in ("intake/desk", "intake,desk/desk,notify", "intake,desk,notify", "intake/dsk,notify"):
        with pytest.raises(ConfigError):
            stage_layout(bad)
