"""Real OBS Studio for the tests, and a local RTMP server for it to stream to.

``running_obs(workdir)`` starts Debian's ``obs-studio`` (OBS 29, obs-websocket 5.1) on its own Xvfb
display with software OpenGL and a throwaway home: its ``global.ini`` turns obs-websocket on at a
free port with a password, the profile encodes a small x264 picture, and the scene collection has
two scenes, "Starting" (current at launch) and "Live" (with a colour source). It returns once the
websocket has sent its Hello, and quits OBS afterwards.

``rtmp_receiver(workdir)`` is ffmpeg listening for one RTMP publisher (``-listen 1``), saving what
it receives to an FLV file, so a test can tell that OBS really streamed.

Debian's OBS has no browser source: browser-source tests run against tests/fakes/obs.py instead.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import find_free_port
from tests.screen import xvfb

OBS_EXECUTABLE = shutil.which("obs")
MISSING_OBS = (
    "OBS Studio is not installed (no `obs` on PATH), so the real-OBS tests cannot run. "
    "`make test` installs it as root (scripts/system-deps.sh test); otherwise run: "
    "sudo apt-get install --no-install-recommends obs-studio xvfb"
)
MISSING_FFMPEG = (
    "No ffmpeg for the local RTMP server: install the dev dependencies "
    "(.venv/bin/pip install -e '.[dev]', which brings imageio-ffmpeg) or apt-get install ffmpeg"
)

PROFILE = "Streampai Test"
COLLECTION = "Streampai Test"
STARTING_SCENE = "Starting"
LIVE_SCENE = "Live"
BACKDROP_SOURCE = "Backdrop"  # the colour source in the "Live" scene
VIDEO_SIZE = (320, 180)  # small, so software x264 keeps up on a shared CI core
FPS = 30
DEFAULT_PASSWORD = "obs-test-password"
READY_TIMEOUT = 60.0


def _ini(sections: dict[str, dict[str, object]]) -> str:
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key}={value}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def _scene(name: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "scene",
        "versioned_id": "scene",
        "name": name,
        "settings": {"items": items, "id_counter": len(items), "custom_size": False},
    }


def write_obs_config(config_dir: Path, port: int, password: str, recordings: Path) -> None:
    """A complete OBS config in ``config_dir`` (what OBS calls ``~/.config/obs-studio``).

    obs-websocket 5.0-5.2 (OBS 28-29) reads its settings from ``global.ini [OBSWebSocket]``;
    5.3+ (OBS 30+) moves them from there into its own config.json on first start, so this works
    for those too. ``FirstRun`` and ``LastVersion`` keep OBS from opening the auto-configuration
    wizard and the what's-new dialog.
    """
    width, height = VIDEO_SIZE
    profile_dir = config_dir / "basic" / "profiles" / PROFILE
    scenes_dir = config_dir / "basic" / "scenes"
    profile_dir.mkdir(parents=True)
    scenes_dir.mkdir(parents=True)
    recordings.mkdir(parents=True, exist_ok=True)
    (config_dir / "global.ini").write_text(
        _ini(
            {
                "General": {
                    "FirstRun": "true",
                    "LastVersion": 0x7FFFFFFF,
                    "EnableAutoUpdates": "false",
                    "ConfirmOnExit": "false",  # quitting while streaming asks nothing
                },
                "Basic": {
                    "Profile": PROFILE,
                    "ProfileDir": PROFILE,
                    "SceneCollection": COLLECTION,
                    "SceneCollectionFile": COLLECTION,
                },
                "BasicWindow": {
                    "SysTrayEnabled": "false",
                    "WarnBeforeStartingStream": "false",
                    "WarnBeforeStoppingStream": "false",
                    "WarnBeforeStoppingRecord": "false",
                },
                "OBSWebSocket": {
                    "FirstLoad": "false",
                    "ServerEnabled": "true",
                    "ServerPort": port,
                    "AlertsEnabled": "false",
                    "AuthRequired": "true",
                    "ServerPassword": password,
                },
            }
        )
    )
    (profile_dir / "basic.ini").write_text(
        _ini(
            {
                "General": {"Name": PROFILE},
                "Video": {
                    "BaseCX": width,
                    "BaseCY": height,
                    "OutputCX": width,
                    "OutputCY": height,
                    "FPSType": 0,
                    "FPSCommon": FPS,
                },
                "Output": {"Mode": "Simple"},
                "SimpleOutput": {
                    "VBitrate": 300,
                    "ABitrate": 64,
                    "Preset": "ultrafast",
                    "RecFormat": "mkv",
                    "RecQuality": "Stream",
                    "FilePath": recordings,
                },
            }
        )
    )
    backdrop = {
        "id": "color_source_v3",
        "versioned_id": "color_source_v3",
        "name": BACKDROP_SOURCE,
        "settings": {"color": 0xFF8A3A5C, "width": width, "height": height},
    }
    collection = {
        "name": COLLECTION,
        "current_scene": STARTING_SCENE,
        "current_program_scene": STARTING_SCENE,
        "scene_order": [{"name": STARTING_SCENE}, {"name": LIVE_SCENE}],
        "sources": [
            _scene(STARTING_SCENE, []),
            _scene(LIVE_SCENE, [{"name": BACKDROP_SOURCE, "id": 1, "visible": True}]),
            backdrop,
        ],
        "transitions": [],
        "current_transition": "Cut",
        "transition_duration": 0,
    }
    (scenes_dir / f"{COLLECTION}.json").write_text(json.dumps(collection, indent=1))


def websocket_hello(port: int, timeout: float = 2.0) -> dict[str, Any]:
    """The Hello (op 0) obs-websocket sends on a new connection, read with a bare socket.

    Only for waiting until OBS is ready (the harness must not need the client under test).
    Raises OSError while nothing answers yet.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall(
            (
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: obswebsocket.json\r\n\r\n"
            ).encode()
        )
        stream = sock.makefile("rb")
        status = stream.readline()
        if b" 101 " not in status:
            raise ConnectionError(f"not a websocket upgrade: {status!r}")
        while stream.readline() not in (b"\r\n", b""):
            pass
        # One unmasked text frame from the server (RFC 6455 section 5.2).
        _, length = stream.read(2)
        length &= 0x7F
        if length == 126:
            length = int.from_bytes(stream.read(2), "big")
        elif length == 127:
            length = int.from_bytes(stream.read(8), "big")
        hello: dict[str, Any] = json.loads(stream.read(length))
        return hello


@dataclass
class RealObs:
    """A running OBS: where to connect, with which password, and its log."""

    url: str
    port: int
    password: str
    hello: dict[str, Any]  # the first Hello it sent (obsWebSocketVersion, authentication)
    config_dir: Path
    recordings: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def quit(self, timeout: float = 15.0) -> int:
        """Quit OBS the way closing its window does, killing it if that hangs; its exit code.

        SIGINT, not SIGTERM: OBS 29 handles SIGINT by closing its main window (obs-websocket sends
        ExitStarted and closes connections with 1001), while SIGTERM ends it on the spot.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        return self.process.returncode


def _obs_environment(home: Path, display: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "WAYLAND_DISPLAY",
            "XDG_SESSION_TYPE",
            "XDG_RUNTIME_DIR",
            "DBUS_SESSION_BUS_ADDRESS",
        }
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        DISPLAY=display,
        # OBS 29 is Qt 5 and draws with OpenGL: the X11 platform (the GUI tests set offscreen
        # for this process) and Mesa's llvmpipe, since CI machines have no GPU.
        QT_QPA_PLATFORM="xcb",
        LIBGL_ALWAYS_SOFTWARE="1",
    )
    return env


@contextmanager
def running_obs(
    workdir: Path, *, password: str = DEFAULT_PASSWORD, ready_timeout: float = READY_TIMEOUT
) -> Iterator[RealObs]:
    """OBS started in ``workdir`` (its home, log and recordings), quit when the block ends."""
    if OBS_EXECUTABLE is None:
        pytest.fail(MISSING_OBS, pytrace=False)
    port = find_free_port()
    home = workdir / "home"
    config_dir = home / ".config" / "obs-studio"
    recordings = workdir / "recordings"
    write_obs_config(config_dir, port, password, recordings)
    log_path = workdir / "obs.log"
    with xvfb() as display, log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                OBS_EXECUTABLE,
                "--multi",  # no "already running" question if the streamer's own OBS is open
                "--disable-updater",
                "--disable-missing-files-check",
                "--profile",
                PROFILE,
                "--collection",
                COLLECTION,
            ],
            cwd=workdir,
            env=_obs_environment(home, display),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a hung OBS is killed whole
        )
        obs = RealObs(
            url=f"ws://127.0.0.1:{port}",
            port=port,
            password=password,
            hello={},
            config_dir=config_dir,
            recordings=recordings,
            log_path=log_path,
            process=process,
        )
        try:
            obs.hello = _wait_for_hello(obs, ready_timeout)
            yield obs
        finally:
            obs.quit()


def _wait_for_hello(obs: RealObs, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        if obs.process.poll() is not None:
            pytest.fail(
                f"OBS exited with code {obs.process.returncode} before its websocket answered; "
                f"the end of its log ({obs.log_path}):\n{obs.log_tail()}",
                pytrace=False,
            )
        try:
            hello = websocket_hello(obs.port)
            break
        except (OSError, ValueError):
            if time.monotonic() > deadline:
                obs.quit()
                pytest.fail(
                    f"OBS's websocket did not answer on port {obs.port} within {timeout:.0f} s "
                    f"(is obs-websocket built in?); the end of its log ({obs.log_path}):\n"
                    f"{obs.log_tail()}",
                    pytrace=False,
                )
            time.sleep(0.2)
    if "authentication" not in hello.get("d", {}):
        obs.quit()
        pytest.fail(
            f"OBS's websocket does not ask for a password: it ignored the test's global.ini "
            f"[OBSWebSocket] settings (Hello: {hello})",
            pytrace=False,
        )
    return hello


# --- a local RTMP server -----------------------------------------------------------------------


def ffmpeg_executable() -> str:
    try:
        import imageio_ffmpeg
    except ImportError:
        found = shutil.which("ffmpeg")
        if found is None:
            pytest.fail(MISSING_FFMPEG, pytrace=False)
        return found
    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _is_listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port, without connecting (a probe connection would
    use up ffmpeg's one ``-listen 1`` client)."""
    wanted = f":{port:04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            if local.endswith(wanted) and state == "0A":  # 0A = LISTEN
                return True
    return False


@dataclass
class RtmpReceiver:
    """ffmpeg accepting one RTMP publisher at ``server`` with stream key ``key``."""

    server: str  # what OBS calls the server: rtmp://127.0.0.1:PORT/live
    key: str
    output: Path  # what it received, as FLV
    progress_path: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def frames_received(self) -> int:
        """Video frames received so far (ffmpeg's ``-progress`` report, twice a second)."""
        text = self.progress_path.read_text() if self.progress_path.exists() else ""
        counts = re.findall(r"^frame=(\d+)$", text, re.MULTILINE)
        return int(counts[-1]) if counts else 0

    def wait_for_frames(self, frames: int, timeout: float = 20.0) -> int:
        deadline = time.monotonic() + timeout
        while (received := self.frames_received()) < frames:
            if time.monotonic() > deadline or self.process.poll() is not None:
                break
            time.sleep(0.2)
        return received

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def streams(self) -> list[str]:
        """ffmpeg's description of each stream it received (``Video: h264 …, 320x180 …``)."""
        text = self.log()
        incoming = text.split("Input #0", 1)[-1].split("Output #0", 1)[0]
        return re.findall(r"Stream #0:\d+.*?: ((?:Video|Audio): .*)", incoming)

    def unexpected_key(self) -> str | None:
        """The stream key the publisher used when it was not ``key`` (ffmpeg logs that)."""
        found = re.search(r"Unexpected stream (\S+), expecting", self.log())
        return found.group(1) if found else None

    def wait_finished(self, timeout: float = 15.0) -> int | None:
        """ffmpeg ends when the publisher disconnects; its exit code, or None if it has not."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None


@contextmanager
def rtmp_receiver(workdir: Path, key: str = "streampai-test-key") -> Iterator[RtmpReceiver]:
    port = find_free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    receiver_log = (workdir / "rtmp-receiver.log").open("wb")
    receiver = RtmpReceiver(
        server=f"rtmp://127.0.0.1:{port}/live",
        key=key,
        output=workdir / "received.flv",
        progress_path=workdir / "rtmp-progress.txt",
        log_path=workdir / "rtmp-receiver.log",
        process=subprocess.Popen(
            [
                ffmpeg_executable(),
                "-hide_banner",
                "-nostdin",
                "-loglevel",
                "info",
                "-listen",
                "1",
                "-i",
                f"rtmp://127.0.0.1:{port}/live/{key}",
                "-c",
                "copy",
                "-f",
                "flv",
                "-progress",
                str(workdir / "rtmp-progress.txt"),
                "-y",
                str(workdir / "received.flv"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=receiver_log,
        ),
    )
    try:
        deadline = time.monotonic() + 10
        while not _is_listening(port):
            if receiver.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the local RTMP server (ffmpeg) did not start:\n{receiver.log()}")
            time.sleep(0.05)
        yield receiver
    finally:
        if receiver.process.poll() is None:
            receiver.process.terminate()
            try:
                receiver.process.wait(10)
            except subprocess.TimeoutExpired:
                receiver.process.kill()
                receiver.process.wait(10)
        receiver_log.close()
