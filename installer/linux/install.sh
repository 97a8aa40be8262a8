#!/bin/sh
# Install Streampai Desktop for this user (no root): the app in ~/.local/opt, a launcher in the
# application menu, the icon, and `streampai-desktop` on PATH (~/.local/bin).
#   ./install.sh             install or update
#   ./install.sh --uninstall remove it again (your data folder and settings stay)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
opt="$HOME/.local/opt/streampai-desktop"
bin="$HOME/.local/bin"
apps="$data_home/applications"
icons="$data_home/icons/hicolor"

refresh() {
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
  command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$opt"
  rm -f "$bin/streampai-desktop" "$apps/streampai-desktop.desktop"
  find "$icons" -name 'streampai-desktop.*' -delete 2>/dev/null || true
  refresh
  echo "Streampai Desktop was removed. Your data folder was kept."
  exit 0
fi

mkdir -p "$opt" "$bin" "$apps"
rm -rf "$opt.new" && cp -a "$here/streampai-desktop" "$opt.new"
rm -rf "$opt" && mv "$opt.new" "$opt"
ln -sf "$opt/streampai-desktop" "$bin/streampai-desktop"
sed "s|^Exec=streampai-desktop|Exec=$opt/streampai-desktop|; s|^TryExec=.*|TryExec=$opt/streampai-desktop|" \
  "$here/share/applications/streampai-desktop.desktop" > "$apps/streampai-desktop.desktop"
cp -a "$here/share/icons/hicolor/." "$icons/"
refresh
echo "Streampai Desktop is installed: find it in your application menu, or run streampai-desktop."
case ":$PATH:" in *":$bin:"*) ;; *) echo "(Add $bin to your PATH to run it from a terminal.)" ;; esac
