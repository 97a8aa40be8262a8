"""The installed app's figures: bundle and archive size, and the frozen program's start-up.

Figures:
  bundle on disk   dist/streampai-desktop/ (target <= 250 MiB)
  archive          the Linux .tar.gz a streamer downloads (target <= 100 MiB)
  headless ready   process start -> /healthz answers, median of --runs fresh processes and data
                   folders, and the peak RSS (VmHWM) then; frozen bundle beside the source
                   install (.venv's streampai-desktop) in the same run, as the baseline

Run: make dist && .venv/bin/python bench/dist.py [--runs 5]   (Linux)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from startup import free_port, measure

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "installer"))


from project import EXE_NAME, VERSION, bundle_dir, executable, mib, tree_size  # noqa: E402

SOURCE_APP = Path(sys.executable).with_name("streampai-desktop")


def headless(exe: Path, runs: int, env: dict[str, str]) -> tuple[float, float]:
    """(median seconds to /healthz, median peak RSS MiB) over ``runs`` fresh starts."""
    times, rss = [], []
    for _ in range(runs):
        port = free_port()
        with tempfile.TemporaryDirectory() as data:
            cmd = [str(exe), "--headless", "--no-demo", "--data-dir", data, "--port", str(port)]
            elapsed, peak = measure(cmd, port, env, False)
        times.append(elapsed)
        rss.append(peak)
    return statistics.median(times), statistics.median(rss)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    dist = ROOT / "dist"
    frozen = executable(dist)
    if not frozen.exists():
        print(f"no frozen bundle at {frozen}: run `make dist` first", file=sys.stderr)
        return 1
    archives = sorted(dist.glob(f"{EXE_NAME}-{VERSION}-linux-*.tar.gz"))
    bundle = tree_size(bundle_dir(dist))
    print(f"Streampai Desktop {VERSION}, frozen bundle vs source install")
    print(f"  bundle on disk   {mib(bundle):>10}  (target <= 250 MiB, {bundle / 2**20 / 250:.0%})")
    if archives:
        size = archives[-1].stat().st_size
        print(
            f"  archive          {mib(size):>10}  (target <= 100 MiB, {size / 2**20 / 100:.0%}; "
            f"{size / bundle:.2f}x the bundle) {archives[-1].name}"
        )
    else:
        print("  archive          (none: `make dist` builds it)")

    # A throwaway keyring-less environment: neither build may touch the real keyring.
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    # One warm-up each, so neither side pays for a cold page cache the other does not.
    headless(SOURCE_APP, 1, env)
    headless(frozen, 1, env)
    src_t, src_rss = headless(SOURCE_APP, args.runs, env)
    frz_t, frz_rss = headless(frozen, args.runs, env)
    print(f"headless start-up to /healthz, median of {args.runs}:")
    print(f"  source install   {src_t:6.3f} s   peak RSS {src_rss:6.1f} MiB   (baseline)")
    print(
        f"  frozen bundle    {frz_t:6.3f} s   peak RSS {frz_rss:6.1f} MiB   "
        f"({frz_t / src_t:.2f}x time, {frz_rss / src_rss:.2f}x RSS)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
