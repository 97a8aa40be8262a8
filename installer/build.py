"""Build the one-folder bundle with PyInstaller, check it, and report its size.

    .venv/bin/python installer/build.py            # dist/streampai-desktop/
    .venv/bin/python installer/build.py --package  # + this OS's package (Linux: .tar.gz)

Run it on the OS you are building for (PyInstaller does not cross-compile). The per-OS packaging
steps (installer/linux, installer/windows, installer/macos) start from the folder this makes.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from project import (
    APP_NAME,
    EXE_NAME,
    PACKAGE,
    ROOT,
    VERSION,
    bundle_dir,
    check_bundle,
    mib,
    tree_size,
)

SPEC = ROOT / "installer" / "streampai.spec"
WORK = ROOT / "build" / "pyinstaller"
DIST = ROOT / "dist"


def build(clean: bool = False) -> float:
    """Run PyInstaller on the spec; returns the seconds it took."""
    if not (PACKAGE / "server" / "overlay_dist" / "alert_box.html").exists():
        raise SystemExit("the overlays are not built: run `make overlays` first")
    began = time.perf_counter()
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        str(SPEC),
        "--distpath",
        str(DIST),
        "--workpath",
        str(WORK),
        "--noconfirm",
        "--log-level",
        "WARN",
    ]
    if clean:
        cmd.append("--clean")
    subprocess.run(cmd, check=True, cwd=ROOT)
    return time.perf_counter() - began


def package() -> Path:
    """This OS's package on top of the bundle."""
    if sys.platform.startswith("linux"):
        from linux.package import build_tarball

        return build_tarball(DIST)
    if sys.platform == "darwin":
        script = ROOT / "installer" / "macos" / "make_dmg.sh"
        subprocess.run(["bash", str(script)], check=True, cwd=ROOT)
        return DIST / f"{EXE_NAME}-{VERSION}-macos.dmg"
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if not iscc:
        raise SystemExit("Inno Setup's ISCC.exe is not on PATH (https://jrsoftware.org/isinfo.php)")
    iss = ROOT / "installer" / "windows" / "streampai.iss"
    subprocess.run([iscc, f"/DAppVersion={VERSION}", str(iss)], check=True, cwd=ROOT)
    return DIST / f"{EXE_NAME}-{VERSION}-windows-setup.exe"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", action="store_true", help="also build this OS's package")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    args = parser.parse_args(argv)
    seconds = build(clean=args.clean)
    problems = check_bundle()
    if problems:
        print("the bundle is incomplete:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    size = tree_size(bundle_dir())
    print(f"{APP_NAME} {VERSION}: built {bundle_dir()} in {seconds:.0f} s")
    print(f"  bundle on disk  {mib(size)} (target <= 250 MiB)")
    if args.package:
        began = time.perf_counter()
        archive = package()
        print(
            f"  package         {archive.name}: {mib(archive.stat().st_size)} "
            f"(target <= 100 MiB), {time.perf_counter() - began:.0f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
