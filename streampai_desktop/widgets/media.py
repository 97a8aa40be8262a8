"""Alert media: the bundled defaults and the files a streamer picks.

A picked file is copied into ``{data_dir}/media/{sha256}.{ext}``, so moving or deleting the
original never breaks an alert, and the same file picked twice is stored once. Configs refer to
media as ``builtin/{name}`` or ``user/{sha256}.{ext}``; the overlay server serves both under the
overlay token.

A synced config can name a picked file that has not reached this computer yet (cloud/media.py
fetches it): overlays are sent :func:`with_available_media`, which puts the built-in default in
its place, so an alert never shows a broken image.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from streampai_desktop.core.errors import UserFacingError
from streampai_desktop.resources import resource_path
from streampai_desktop.widgets.schema import MEDIA_REF

BUILTIN_DIR = resource_path("media")
MAX_BYTES = 100 * 1024 * 1024

# Extension → (media kind, content type, leading bytes that a real file of that type starts with).
# SVG is bundled-only: a picked SVG could carry script if it were ever opened as a page.
FORMATS: dict[str, tuple[str, str, tuple[bytes, ...]]] = {
    "png": ("image", "image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image", "image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image", "image/jpeg", (b"\xff\xd8\xff",)),
    "gif": ("image", "image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image", "image/webp", (b"RIFF",)),
    "mp4": ("video", "video/mp4", (b"",)),  # the ftyp box follows a size field; checked below
    "webm": ("video", "video/webm", (b"\x1a\x45\xdf\xa3",)),
    "mp3": ("sound", "audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    "ogg": ("sound", "audio/ogg", (b"OggS",)),
    "wav": ("sound", "audio/wav", (b"RIFF",)),
}
BUILTIN_ONLY = {"svg": ("image", "image/svg+xml", (b"",))}


class MediaError(UserFacingError):
    title = "Cannot use this file"


def media_dir(data_dir: Path) -> Path:
    return data_dir / "media"


def import_media(data_dir: Path, source: Path, kinds: tuple[str, ...]) -> str:
    """Copy ``source`` into the data folder; returns its media ref. Blocking (hashes the file)."""
    ext = source.suffix.lower().lstrip(".")
    fmt = FORMATS.get(ext)
    if fmt is None or fmt[0] not in kinds:
        allowed = ", ".join(sorted(e for e, f in FORMATS.items() if f[0] in kinds))
        raise MediaError(f"{source.name}: use one of these file types: {allowed}.")
    try:
        size = source.stat().st_size
        if size > MAX_BYTES:
            raise MediaError(f"{source.name} is larger than {MAX_BYTES // (1024 * 1024)} MB.")
        with source.open("rb") as fh:
            head = fh.read(16)
            digest = hashlib.sha256(head)
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        raise MediaError(f"{source} does not exist (any more).") from None
    if not looks_like(ext, head):
        raise MediaError(f"{source.name} is not really a .{ext} file.")
    target_dir = media_dir(data_dir)
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{digest.hexdigest()}.{ext}"
    if not target.exists():
        # Copy to a temporary name first: a full disk must not leave half a file under the name.
        with tempfile.NamedTemporaryFile(dir=target_dir, delete=False, suffix=".part") as tmp:
            tmp_path = Path(tmp.name)
        try:
            shutil.copyfile(source, tmp_path)
            tmp_path.replace(target)
        finally:
            tmp_path.unlink(missing_ok=True)
    return f"user/{target.name}"


def looks_like(ext: str, head: bytes) -> bool:
    """Whether a file's first 16 bytes fit its extension (one of :data:`FORMATS`)."""
    if ext == "mp4":
        return head[4:8] == b"ftyp"
    return any(head.startswith(magic) for magic in FORMATS[ext][2])


def resolve_media(data_dir: Path, ref: str) -> tuple[Path, str] | None:
    """(file, content type) for a media ref, or None when it is not a valid, existing one."""
    if not MEDIA_REF.match(ref):
        return None
    where, name = ref.split("/", 1)
    ext = name.rsplit(".", 1)[1]
    if where == "builtin":
        fmt = FORMATS.get(ext) or BUILTIN_ONLY.get(ext)
        path = BUILTIN_DIR / name
    else:
        fmt = FORMATS.get(ext)
        path = media_dir(data_dir) / name
    if fmt is None or not path.is_file():
        return None
    return path, fmt[1]


def builtin_media(kind: str) -> list[str]:
    """Refs of the bundled files of one kind ("image", "sound"), for the settings form."""
    out = []
    for path in sorted(BUILTIN_DIR.iterdir()):
        ext = path.suffix.lstrip(".")
        fmt = FORMATS.get(ext) or BUILTIN_ONLY.get(ext)
        if fmt and fmt[0] == kind:
            out.append(f"builtin/{path.name}")
    return out


def is_user_ref(value: Any) -> bool:
    """Whether ``value`` names a picked file (``user/{sha256}.{ext}``)."""
    return isinstance(value, str) and value.startswith("user/") and bool(MEDIA_REF.match(value))


def user_refs(value: Any) -> set[str]:
    """Every picked-file ref anywhere in a JSON value (a config, a synced field, a patch)."""
    if is_user_ref(value):
        return {value}
    if isinstance(value, Mapping):
        return set().union(*(user_refs(v) for v in value.values()))
    if isinstance(value, list | tuple):
        return set().union(*(user_refs(v) for v in value))
    return set()


def has_media(data_dir: Path) -> Callable[[str], bool]:
    """``have(ref)``: whether this computer has the file a media ref names."""
    return lambda ref: resolve_media(data_dir, ref) is not None


def with_available_media(
    config: dict[str, Any], defaults: Mapping[str, Any], have: Callable[[str], bool]
) -> dict[str, Any]:
    """``config`` as overlays may see it: each picked file this computer does not have
    (``have(ref)`` False) replaced by the built-in default of that setting, so a page never
    asks for a file that is not there. The default is the one at the same key path in
    ``defaults``, or where the path has none (a variation's ``overrides``), the nearest
    enclosing default of that key (the alert type's own); "" when there is none. ``config``
    itself (the same object) when nothing is missing."""
    if not any(not have(ref) for ref in user_refs(config)):
        return config
    return _swap_missing(config, defaults, [], have)


def _swap_missing(
    node: Any, defaults: Any, enclosing: list[Mapping[str, Any]], have: Callable[[str], bool]
) -> Any:
    # ``defaults`` is the defaults at ``node``'s own path (None when the path has none);
    # ``enclosing`` the default objects of the paths above it, outermost first.
    if isinstance(node, Mapping):
        own = defaults if isinstance(defaults, Mapping) else None
        inner = [*enclosing, own] if own is not None else enclosing
        out = {}
        for key, value in node.items():
            if is_user_ref(value) and not have(value):
                out[key] = _default_for(key, inner)
            else:
                out[key] = _swap_missing(value, own.get(key) if own else None, inner, have)
        return out
    if isinstance(node, list):
        # A list's items (variations) have no defaults of their own.
        return [
            "" if is_user_ref(v) and not have(v) else _swap_missing(v, None, enclosing, have)
            for v in node
        ]
    return node


def _default_for(key: str, enclosing: list[Mapping[str, Any]]) -> str:
    for defaults in reversed(enclosing):
        value = defaults.get(key)
        if isinstance(value, str) and not is_user_ref(value):
            return value
    return ""
