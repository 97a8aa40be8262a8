#!/usr/bin/env bash
# Installs (as root, with apt-get) or names (otherwise) the system packages the app needs.
#   scripts/system-deps.sh run   Qt's xcb libraries, so the window can open on X11
#   scripts/system-deps.sh test  the above plus Chromium (overlay tests), Xvfb (window tests) and
#                                OBS Studio (tests/obs/test_real_obs.py drives the real one)
# Exit 0 when everything is there; 1 with the exact command to run when something is missing.
set -euo pipefail
purpose=${1:-run}

qt_xcb=(libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1
        libxkbcommon-x11-0 libxcb-cursor0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0
        libegl1 libgl1 libfontconfig1 libdbus-1-3 fonts-dejavu-core)
# obs-studio alone is enough for the tests: obs-websocket, RTMP output, x264 and the custom RTMP
# service are in it; its Recommends (obs-plugins: VLC, JACK, PipeWire sources) are not needed, and
# its Depends bring Mesa's software OpenGL (libgl1-mesa-dri) that it draws with under Xvfb.
test_only=(chromium xvfb xauth obs-studio)

packages=("${qt_xcb[@]}")
[ "$purpose" = test ] && packages+=("${test_only[@]}")

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian/Ubuntu system; make sure Qt 6 runs here$([ "$purpose" = test ] && echo ', and that Chromium, Xvfb and OBS Studio are installed')." >&2
  exit 0
fi

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == *"install ok installed"* ]] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  exit 0
fi
echo "system-deps: missing system packages: ${missing[*]}" >&2
echo "Install them with:  sudo apt-get install ${missing[*]}" >&2
exit 1
