"""What a synced widget field is called in the app: "Font size", "Follow > Duration"."""

from __future__ import annotations

from streampai_desktop.widgets.registry import get_widget


def setting_label(widget_type: str, field: str) -> str:
    """The label of synced field ``field`` (``name``, ``config.font_size``,
    ``config.types.follow.duration_ms``) of a ``widget_type`` widget; the key path when the
    widget's spec does not name it."""
    if field == "name":
        return "Name"
    keys = field.split(".")[1:] if field.startswith("config.") else [field]
    spec = get_widget(widget_type)
    if spec is None or not keys:
        return ".".join(keys) or field
    if spec.alert_types and keys[0] == "types" and len(keys) >= 3:
        from streampai_desktop.widgets.alert_box import KIND_TITLES, type_fields

        kind = keys[1]
        title = KIND_TITLES.get(kind, kind)
        label = next((f.label for f in type_fields(kind) if f.key == keys[2]), keys[2])
        return " > ".join([title, label, *keys[3:]])
    label = next((f.label for f in spec.fields if f.key == keys[0]), keys[0])
    return " > ".join([label, *keys[1:]])
