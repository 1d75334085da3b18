"""Profile the 8-bit detector on the bench's 8-bit generator frames: where its time goes.

`python -m tools.profile_thermal [--frames N] [--top K]` prints the frames/s of one pass and
the K functions with the most own time (cProfile); the bench gives ratios, this gives causes.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from simulators.thermal.handmade import to_8bit
from thermal.detector import detect_image
from thermal.frames import decode_image
from tools.bench_thermal import _frames


def main(argv: list[str] | None = None) -> None:
    """Decode once, time one pass, then profile a second pass."""
    ap = argparse.ArgumentParser(prog="python -m tools.profile_thermal")
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--top", type=int, default=18)
    ap.add_argument("--seed", type=int, default=20250115)
    args = ap.parse_args(argv)
    imgs = [(decode_image(to_8bit(img.pixels, ("white-hot", "black-hot")[k % 2])), meta)
            for k, (img, meta, _) in enumerate(_frames(args.frames, args.seed))]

    def run() -> None:
        for im, meta in imgs:
            detect_image(im, meta)

    t0 = time.perf_counter()
    run()
    print(f"8-bit detector: {len(imgs) / (time.perf_counter() - t0):.0f} frames/s (one pass, 1 core)")
    prof = cProfile.Profile()
    prof.runcall(run)
    pstats.Stats(prof).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
