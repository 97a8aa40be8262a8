"""The new alert types: charity donations and the hype train's start and level ups — their
settings, defaults, minimums, test events, and the words the event log and Events page use."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from streampai_desktop.core import events as ev
from streampai_desktop.stream.demo import DemoSource
from streampai_desktop.widgets import alert_box
from streampai_desktop.widgets.media import builtin_media, resolve_media

NEW_TYPES = ("charity_donation", "hype_train_begin", "hype_train_level_up")
RNG = random.Random(0)


def charity(minor: int = 10000) -> ev.CharityDonation:
    return ev.CharityDonation(
        platform=ev.Platform.TWITCH,
        user=ev.User("654321", "generoususer1", "GenerousUser1"),
        amount=ev.Money(minor, "USD"),
        charity_name="Example name",
    )


def level_up(level: int) -> ev.HypeTrainLevelUp:
    return ev.HypeTrainLevelUp(platform=ev.Platform.TWITCH, train_id="t1", level=level)


def test_each_new_kind_is_an_alert_type_with_a_title_template_image_and_sound(
    tmp_path: Path,
) -> None:
    defaults = alert_box.defaults()["types"]
    images, sounds = builtin_media("image"), builtin_media("sound")
    for kind in NEW_TYPES:
        assert kind in ev.ALERT_KINDS and kind in alert_box.KIND_TITLES
        settings = defaults[kind]
        assert settings["enabled"] is True
        assert settings["image"] in images and settings["sound"] in sounds
        assert resolve_media(tmp_path, settings["image"]) is not None, "the file is bundled"
    assert "{charity}" in defaults["charity_donation"]["template"]
    assert "{amount}" in defaults["charity_donation"]["template"]
    assert "{level}" in defaults["hype_train_begin"]["template"]
    assert "{level}" in defaults["hype_train_level_up"]["template"]


def test_an_old_config_gains_the_new_types_with_their_defaults() -> None:
    old = alert_box.defaults()
    for kind in NEW_TYPES:
        del old["types"][kind]
    repaired, problems = alert_box.repair(old)
    assert problems == {}
    assert (
        repaired["types"]["hype_train_level_up"]
        == alert_box.defaults()["types"]["hype_train_level_up"]
    )


def test_a_charity_donation_alert_shows_its_amount_and_obeys_the_money_minimum() -> None:
    config = alert_box.defaults()
    resolved = alert_box.resolve(config, charity(), RNG)
    assert resolved is not None and resolved.settings["amount_text"] == "$100.00"
    config["types"]["charity_donation"]["min_amount"] = 500  # $5.00
    assert alert_box.resolve(config, charity(499), RNG) is None
    assert alert_box.resolve(config, charity(500), RNG) is not None
    fields = {f.key: f for f in alert_box.form_fields("charity_donation")}
    assert fields["min_amount"].display == "money"
    assert "show_message" not in fields, "a charity donation carries no message"


def test_hype_train_level_ups_can_start_from_a_level() -> None:
    config = alert_box.defaults()
    config["types"]["hype_train_level_up"]["min_amount"] = 3
    assert alert_box.resolve(config, level_up(2), RNG) is None
    shown = alert_box.resolve(config, level_up(3), RNG)
    assert shown is not None and shown.settings["amount_text"] == "3"
    field = next(f for f in alert_box.form_fields("hype_train_level_up") if f.key == "min_amount")
    assert (field.label, field.suffix) == ("Minimum level", "")
    assert alert_box.condition_label("hype_train_level_up", "amount") == "Level"
    # The start and the level ups are set separately: turning one off keeps the other.
    config["types"]["hype_train_begin"]["enabled"] = False
    begin = ev.HypeTrainBegin(platform=ev.Platform.TWITCH, train_id="t1", level=1)
    assert alert_box.resolve(config, begin, RNG) is None
    assert alert_box.resolve(config, level_up(4), RNG) is not None


@pytest.mark.parametrize("kind", NEW_TYPES)
def test_the_test_button_event_of_each_new_type(kind: str) -> None:
    demo = DemoSource(submit=None, seed=5)  # type: ignore[arg-type]
    event = getattr(demo, kind)()
    assert event.kind == kind and event.test and event.alertable
    assert ev.event_from_json(json.loads(json.dumps(event.to_json()))) == event
    assert event.platform == ev.Platform.TWITCH, "the platform that has hype trains and charity"
    assert alert_box.resolve(alert_box.defaults(), event, RNG) is not None


def test_the_local_api_takes_a_hype_train_alert_with_just_its_level() -> None:
    """What a stream deck posts to /api/v1/events: the kind and the level are enough."""
    event = ev.event_from_json({"kind": "hype_train_level_up", "platform": "twitch", "level": 3})
    assert isinstance(event, ev.HypeTrainLevelUp) and event.level == 3
    with pytest.raises(ev.EventError, match="missing field 'amount'"):
        ev.event_from_json({"kind": "charity_donation", "platform": "twitch"})
