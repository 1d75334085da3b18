"""CPU of one fetch request's encoding and its (empty) response's decoding in aiokafka, by partitions fetched.

Why: every worker fetch names each partition it reads, busy or not, and aiokafka encodes and decodes
them in Python; this prices a partition left in (or taken out of) the fetch (`pipeline.kafka_compat`, 7.).
`python -m tools.bench_fetch 15 11`
"""

from __future__ import annotations

import sys
import timeit

from aiokafka.protocol.fetch import FetchRequest_v4, FetchResponse_v4


def fetch_cost_us(partitions: int, number: int = 2000, repeat: int = 15) -> tuple[float, float]:
    """Best-of-`repeat` microseconds to encode a fetch request of `partitions` one-partition topics, and to decode
    its empty response."""
    request = FetchRequest_v4(-1, 10, 1, 52_428_800, 0, [(f"topic-{i}", [(0, 1234, 1_048_576)]) for i in range(partitions)])
    raw = FetchResponse_v4(0, [(f"topic-{i}", [(0, 0, 1234, 1234, [], b"")]) for i in range(partitions)]).encode()
    encode = min(timeit.repeat(request.encode, number=number, repeat=repeat)) / number
    decode = min(timeit.repeat(lambda: FetchResponse_v4.decode(raw), number=number, repeat=repeat)) / number
    return encode * 1e6, decode * 1e6


def main(argv: list[str]) -> None:
    for count in [int(a) for a in argv] or [15, 11]:
        encode, decode = fetch_cost_us(count)
        print(f"{count} partitions: encode {encode:.0f} µs + decode {decode:.0f} µs = {encode + decode:.0f} µs per fetch")


if __name__ == "__main__":
    main(sys.argv[1:])
