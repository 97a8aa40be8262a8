"""Start-up time and peak memory, headless and GUI, against same-run bare baselines.

Figures (median of --runs runs, each a fresh process; "first run" in a new data folder, the
headline figures in a folder used once before, as on every launch but the first):
  headless ready  process start → /healthz answers         baseline: bare aiohttp server
  GUI shown       process start → "main window shown" log   baseline: PySide6 QApplication + qasync
                                                             + aiohttp on 127.0.0.1, window shown
  peak RSS        VmHWM of the process once it is ready

Run: .venv/bin/python bench/startup.py [--runs 5]   (Linux; uses Xvfb when there is no display)
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

APP = Path(sys.executable).with_name("streampai-desktop")

BARE_HEADLESS = """
import asyncio, sys
from aiohttp import web
async def main():
    app = web.Application()
    app.router.add_get("/healthz", lambda r: web.json_response({"ok": True}))
    runner = web.AppRunner(app); await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[1])).start()
    await asyncio.Event().wait()
asyncio.run(main())
"""

BARE_GUI = """
import asyncio, sys
from PySide6.QtWidgets import QApplication, QMainWindow, QLabel
import qasync
from aiohttp import web
qt = QApplication(sys.argv[:1])
loop = qasync.QEventLoop(qt)
asyncio.set_event_loop(loop)
async def main():
    app = web.Application()
    app.router.add_get("/healthz", lambda r: web.json_response({"ok": True}))
    runner = web.AppRunner(app); await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[1])).start()
    window = QMainWindow(); window.setCentralWidget(QLabel("bare")); window.show()
    print("main window shown", file=sys.stderr, flush=True)
    await asyncio.Event().wait()
with loop:
    loop.run_until_complete(main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=0.5) as resp:
            return resp.status == 200
    except OSError:
        return False


def measure(
    cmd: list[str], port: int, env: dict[str, str], wait_for_window: bool
) -> tuple[float, float]:
    """(seconds until ready, peak RSS MiB) for one fresh process."""
    began = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        if wait_for_window:
            assert proc.stderr is not None
            for line in proc.stderr:
                if "main window shown" in line:
                    break
            else:
                raise RuntimeError(f"{cmd} exited before showing a window")
        else:
            while not healthy(port):
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd} exited with {proc.returncode}")
                time.sleep(0.005)
        elapsed = time.perf_counter() - began
        rss = peak_rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return elapsed, rss


@dataclass(frozen=True)
class Series:
    label: str
    make_cmd: Callable[[int, str], list[str]]
    window: bool  # ready when the window shows (else when /healthz answers)
    warm: bool = False  # the data folder was used once before, as on every launch but the first


def run_interleaved(
    series: list[Series], env: dict[str, str], runs: int
) -> list[tuple[float, float]]:
    """Median time and peak RSS of each series over ``runs`` fresh processes each.

    The series take turns (run 1 of each, then run 2 of each, …): on a shared machine the load
    drifts over a minute, and a baseline measured before the app would compare different
    minutes, not different programs.
    """
    times: list[list[float]] = [[] for _ in series]
    rsses: list[list[float]] = [[] for _ in series]
    for _ in range(runs):
        for index, one in enumerate(series):
            port = free_port()
            with tempfile.TemporaryDirectory() as data:
                if one.warm:
                    warm_up = [str(APP), "--headless", "--no-demo", "--data-dir", data]
                    measure([*warm_up, "--port", str(port)], port, env, False)
                elapsed, rss = measure(one.make_cmd(port, data), port, env, one.window)
            times[index].append(elapsed)
            rsses[index].append(rss)
    results = []
    for one, series_times, series_rss in zip(series, times, rsses, strict=True):
        t, r = statistics.median(series_times), statistics.median(series_rss)
        print(f"  {one.label:<28} {t:6.3f} s   peak RSS {r:6.1f} MiB")
        results.append((t, r))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    # An installed app runs from byte-compiled modules (pip and the bundle compile them at install
    # time), as the baselines' libraries in site-packages do. An editable checkout with
    # PYTHONDONTWRITEBYTECODE set would instead compile every module of ours on every launch and
    # measure the compiler, not the start-up: compile once, as an install does.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    package = Path(__file__).resolve().parents[1] / "streampai_desktop"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], env=env, check=True)
    xvfb = None
    if not env.get("DISPLAY"):
        if shutil.which("Xvfb"):
            xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24"],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert xvfb.stdout is not None
            env["DISPLAY"] = ":" + xvfb.stdout.readline().strip()
            env["QT_QPA_PLATFORM"] = "xcb"
        else:
            env["QT_QPA_PLATFORM"] = "offscreen"
    print(f"startup, median of {args.runs} runs (display: {env.get('QT_QPA_PLATFORM', 'xcb')})")
    headless = ["--headless", "--no-demo"]

    def app(*flags: str) -> Callable[[int, str], list[str]]:
        return lambda port, data: [str(APP), *flags, "--data-dir", data, "--port", str(port)]

    def bare(script: str) -> Callable[[int, str], list[str]]:
        return lambda port, data: [sys.executable, "-c", script, str(port)]

    try:
        base_h, first_h, app_h = run_interleaved(
            [
                Series("baseline: bare aiohttp", bare(BARE_HEADLESS), window=False),
                Series("app --headless, first run", app(*headless), window=False),
                Series("app --headless ready", app(*headless), window=False, warm=True),
            ],
            env,
            args.runs,
        )
        base_g, first_g, app_g = run_interleaved(
            [
                Series("baseline: Qt+qasync+aiohttp", bare(BARE_GUI), window=True),
                Series("app GUI, first run", app("--no-demo"), window=True),
                Series("app GUI window shown", app("--no-demo"), window=True, warm=True),
            ],
            env,
            args.runs,
        )
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
    print()
    print(
        "First run (creates and migrates the database, once per install): "
        f"headless {first_h[0]:.3f} s / {first_h[1]:.0f} MiB, "
        f"GUI {first_g[0]:.3f} s / {first_g[1]:.0f} MiB"
    )
    print("Every later launch:")
    print(
        f"headless ready {app_h[0]:.3f} s (target <= 1.0 s), "
        f"{app_h[0] / base_h[0]:.2f}x bare aiohttp; RSS {app_h[1]:.0f} MiB, "
        f"{app_h[1] / base_h[1]:.2f}x"
    )
    print(
        f"GUI shown      {app_g[0]:.3f} s (target <= 2.0 s), "
        f"{app_g[0] / base_g[0]:.2f}x bare Qt; RSS {app_g[1]:.0f} MiB, "
        f"{app_g[1] / base_g[1]:.2f}x (target <= 1.6x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
