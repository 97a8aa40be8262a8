"""A wheel built from a clean clone is a working app: overlays built, resources packaged.

The checkout is copied the way a clean clone looks (``git ls-files -co --exclude-standard``: the
tracked files and the new ones not ignored, without node_modules, the built overlay bundle or
.venv), then ``python -m build`` makes the sdist from that copy and the wheel from the sdist (so
the sdist is proven to hold everything a wheel needs: setup.py runs ``npm ci && npm run build``
in its overlays/). The wheel goes into a fresh venv (its dependencies from the package index),
and the installed program runs headless and serves an overlay page to Chromium.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.dist.conftest import ROOT, app_urls
from tests.e2e.conftest import launcher

# Building and installing take about a minute with warm pip and npm caches; a cold pip cache
# downloads PySide6 (about 100 MB).
pytestmark = pytest.mark.timeout(900)

BIN = "Scripts" if sys.platform == "win32" else "bin"
EXE = ".exe" if sys.platform == "win32" else ""


@dataclass
class InstalledWheel:
    wheel: Path
    sdist: Path
    venv: Path
    seconds: dict[str, float]

    @property
    def python(self) -> Path:
        return self.venv / BIN / f"python{EXE}"

    @property
    def program(self) -> Path:
        return self.venv / BIN / f"streampai-desktop{EXE}"


def clean_copy(dest: Path) -> Path:
    """The checkout as a clean clone of it (plus uncommitted work) would look."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if not source.is_file():  # deleted (or moved) but not yet committed
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest


def run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a build step; on failure, fail the test with the step's output."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstalledWheel]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.fail("tests/dist/test_wheel.py copies a git checkout: run it in one")
    if importlib.util.find_spec("build") is None:
        pytest.fail("`python -m build` is missing: run `make setup` (pip install -e '.[dev]')")
    base = tmp_path_factory.mktemp("wheel")
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    clone = clean_copy(base / "clone")
    assert not (clone / "streampai_desktop" / "server" / "overlay_dist").exists()
    assert not (clone / "overlays" / "node_modules").exists()
    seconds["copy"] = time.perf_counter() - began

    began = time.perf_counter()
    out = base / "dist"
    run([sys.executable, "-m", "build", "--outdir", out, clone], cwd=base)
    seconds["build"] = time.perf_counter() - began
    (wheel,) = out.glob("streampai_desktop-*.whl")
    (sdist,) = out.glob("streampai_desktop-*.tar.gz")

    began = time.perf_counter()
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / BIN / f"python{EXE}"
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel], cwd=base)
    seconds["install"] = time.perf_counter() - began
    yield InstalledWheel(wheel, sdist, env_dir, seconds)
    print(f"\nwheel {wheel.stat().st_size / 2**20:.1f} MiB; seconds: {seconds}")


def test_sdist_holds_the_sources_and_the_wheel_the_built_app(
    installed_wheel: InstalledWheel,
) -> None:
    with tarfile.open(installed_wheel.sdist) as tar:
        in_sdist = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    for rel in (
        "setup.py",
        "MANIFEST.in",
        "overlays/package.json",
        "overlays/package-lock.json",
        "overlays/vite.config.js",
        "resources/icons/streampai.svg",
        "resources/media/chime.wav",
    ):
        assert rel in in_sdist, f"the sdist lacks {rel}"
    assert not any(n.startswith("overlays/node_modules") for n in in_sdist)
    assert not any("overlay_dist" in n for n in in_sdist), "the wheel build makes the bundle"

    with zipfile.ZipFile(installed_wheel.wheel) as whl:
        in_wheel = set(whl.namelist())
    for rel in (
        "streampai_desktop/server/overlay_dist/alert_box.html",
        "streampai_desktop/server/overlay_dist/chat_box.html",
        "streampai_desktop/resources/__init__.py",
        "streampai_desktop/resources/icons/streampai.svg",
        "streampai_desktop/resources/media/chime.wav",
        "streampai_desktop/resources/media/follow.svg",
        "streampai_desktop/store/migrations/env.py",
    ):
        assert rel in in_wheel, f"the wheel lacks {rel}"
    assert any(n.startswith("streampai_desktop/server/overlay_dist/assets/") for n in in_wheel)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in in_wheel)


def test_resource_path_finds_the_installed_files(
    installed_wheel: InstalledWheel, tmp_path: Path
) -> None:
    script = (
        "import streampai_desktop, sys\n"
        "from streampai_desktop.resources import resource_path\n"
        "print(streampai_desktop.__file__)\n"
        "for parts in (('icons', 'streampai.svg'), ('media', 'chime.wav')):\n"
        "    print(resource_path(*parts))\n"
    )
    # -I: no current folder or PYTHON* variables on sys.path, so nothing comes from the checkout.
    lines = run([installed_wheel.python, "-I", "-c", script], cwd=tmp_path).stdout.split()
    package, icon, sound = (Path(line) for line in lines)
    assert package.is_relative_to(installed_wheel.venv), "the installed package is the one run"
    assert icon.is_relative_to(installed_wheel.venv) and icon.is_file()
    assert icon.read_bytes().startswith(b"<svg")
    assert sound.is_relative_to(installed_wheel.venv) and sound.is_file()


async def test_installed_app_serves_overlays_to_chromium(
    installed_wheel: InstalledWheel, browser, tmp_path: Path, free_port: int, artifacts_dir: Path
) -> None:
    with launcher(installed_wheel.program, tmp_path, free_port) as launch:
        app = launch("--headless", "--demo")
        app.wait_healthy(timeout=60)
        urls = app_urls(installed_wheel.program, app.data_dir)
        assert urls["running"] is True and urls["port"] == app.port
        alert_url = urls["overlays"]["alert_box"]
        token = parse_qs(urlsplit(alert_url).query)["token"][0]
        async with httpx.AsyncClient(base_url=app.base, timeout=10) as client:
            sound = await client.get(f"/overlay/media/builtin/chime.wav?token={token}")
        assert sound.status_code == 200 and sound.content.startswith(b"RIFF")

        page = await browser.new_page(viewport={"width": 800, "height": 600})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        response = await page.goto(alert_url)
        assert response is not None and response.status == 200
        assert "The overlay pages are not built" not in await page.content()
        headline = page.get_by_test_id("alert-headline")
        await headline.wait_for(timeout=20_000)
        assert (await headline.inner_text()).strip(), "a demo alert is on screen"
        await page.screenshot(path=str(artifacts_dir / "wheel_alert_box_demo.png"))
        assert errors == [], "the packaged overlay assets load without script or CSP errors"

        assert app.stop() == 0, app.read_output()
        output = app.read_output()
        assert "Demo mode is on" in output and "Traceback" not in output
