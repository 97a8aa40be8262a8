"""Widget specs: validation messages, repair of bad stored configs, variations, templates' data."""

from __future__ import annotations

import copy
import random

import pytest

from streampai_desktop.core.events import (
    Cheer,
    Donation,
    Follow,
    GiftSubscription,
    Money,
    Platform,
    Raid,
    Subscription,
    User,
)
from streampai_desktop.widgets import WIDGETS, alert_box, chat_box
from streampai_desktop.widgets.schema import ConfigError

RNG = random.Random(1)
DAVE = User("9", "dave", "Dave")


def with_type(kind: str, **settings) -> dict:
    config = alert_box.defaults()
    config["types"][kind].update(settings)
    return config


def test_defaults_are_valid_for_every_widget() -> None:
    for spec in WIDGETS.values():
        assert spec.validate(spec.defaults) == spec.defaults


@pytest.mark.parametrize(
    ("config", "where", "message"),
    [
        (with_type("follow", duration_ms=100), "types.follow.duration_ms", "at least 1 s"),
        (
            with_type("cheer", text_color="red; background:url(x)"),
            "types.cheer.text_color",
            "colour like #ff8800",
        ),
        (with_type("raid", layout="sideways"), "types.raid.layout", "must be one of"),
        (
            with_type("donation", image="../../secrets.json"),
            "types.donation.image",
            "picked in the app",
        ),
        (with_type("follow", template="   "), "types.follow.template", "must not be empty"),
        ({"gap_ms": "soon"}, "gap_ms", "must be a number"),
    ],
)
def test_bad_values_are_refused_with_the_reason(config, where: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        WIDGETS["alert_box"].validate(config)
    assert message in info.value.problems[where]


def test_a_damaged_stored_config_is_repaired_not_blanked() -> None:
    stored = with_type("follow", font_size=10_000, template="{name} followed")
    stored["types"]["cheer"] = "garbage"
    repaired, problems = alert_box.repair(stored)
    assert repaired["types"]["follow"]["font_size"] == 48, "the default stands in"
    assert repaired["types"]["follow"]["template"] == "{name} followed", "good values are kept"
    assert repaired["types"]["cheer"]["enabled"] is True
    assert set(problems) == {"types.follow.font_size", "types.cheer"}
    config, problems = chat_box.repair({"max_messages": -1, "muted_users": ["@Troll", "troll"]})
    assert config["max_messages"] == 20 and config["muted_users"] == ["troll"]


def test_unknown_keys_from_a_newer_version_survive() -> None:
    config = chat_box.SPEC.validate({"future_setting": 3})
    assert config["future_setting"] == 3


def test_disabled_types_and_amounts_below_minimum_are_not_shown() -> None:
    config = with_type("follow", enabled=False)
    assert alert_box.resolve(config, Follow(platform=Platform.TWITCH), RNG) is None
    config = with_type("donation", min_amount=500)
    small = Donation(platform=Platform.STREAMPAI, amount=Money(499, "USD"))
    big = Donation(platform=Platform.STREAMPAI, amount=Money(500, "USD"))
    assert alert_box.resolve(config, small, RNG) is None
    resolved = alert_box.resolve(config, big, RNG)
    assert resolved is not None and resolved.settings["amount_text"] == "$5.00"


@pytest.mark.parametrize(("bits", "text"), [(1, "1 bit"), (2, "2 bits"), (2500, "2,500 bits")])
def test_cheer_amount_says_one_bit(bits: int, text: str) -> None:
    cheer = Cheer(platform=Platform.TWITCH, bits=bits)
    assert alert_box.amount_text(cheer) == text


def test_default_templates_name_their_counts_in_both_forms() -> None:
    types = alert_box.defaults()["types"]
    assert types["subscription"]["template"] == "{name} subscribed for {months:month|months}!"
    assert types["gift_subscription"]["template"] == "{name} gifted {count:sub|subs}!"
    assert types["raid"]["template"] == "{name} is raiding with {viewers:viewer|viewers}!"
    assert all(t["image_size"] == 256 for t in types.values())


def test_variations_first_matching_rule_wins() -> None:
    rules = [
        {
            "name": "Huge",
            "conditions": [{"field": "amount", "op": ">=", "value": 1000}],
            "weight": 0,
            "overrides": {"image": "builtin/raid.svg", "duration_ms": 9000},
        },
        {
            "name": "Big",
            "conditions": [{"field": "amount", "op": ">=", "value": 100}],
            "weight": 0,
            "overrides": {"text_color": "#ff0000"},
        },
        {
            "name": "Kick",
            "conditions": [{"field": "platform", "op": "=", "value": "kick"}],
            "weight": 0,
            "overrides": {},
        },
    ]
    config = alert_box.SPEC.validate(with_type("cheer", variations=rules))
    cases = {100: "Big", 99: None, 5000: "Huge"}
    for bits, expected in cases.items():
        resolved = alert_box.resolve(config, Cheer(platform=Platform.TWITCH, bits=bits), RNG)
        assert resolved is not None and resolved.variation == expected, bits
    huge = alert_box.resolve(config, Cheer(platform=Platform.TWITCH, bits=5000), RNG)
    assert huge.settings["duration_ms"] == 9000 and huge.settings["image"] == "builtin/raid.svg"
    kick = alert_box.resolve(config, Cheer(platform=Platform.KICK, bits=1), RNG)
    assert kick.variation == "Kick"


def test_variation_conditions_on_tier_months_and_gift_count() -> None:
    rules = [
        {
            "name": "T3",
            "conditions": [{"field": "tier", "op": "=", "value": "3000"}],
            "weight": 0,
            "overrides": {},
        },
        {
            "name": "Loyal",
            "conditions": [{"field": "months", "op": ">=", "value": 12}],
            "weight": 0,
            "overrides": {},
        },
    ]
    config = alert_box.SPEC.validate(with_type("subscription", variations=rules))
    sub = Subscription(platform=Platform.TWITCH, user=DAVE, tier="3000", months=1)
    assert alert_box.resolve(config, sub, RNG).variation == "T3"
    sub = Subscription(platform=Platform.TWITCH, user=DAVE, tier="1000", months=24)
    assert alert_box.resolve(config, sub, RNG).variation == "Loyal"
    gifts = alert_box.SPEC.validate(
        with_type(
            "gift_subscription",
            variations=[
                {
                    "name": "Bomb",
                    "conditions": [{"field": "count", "op": ">=", "value": 10}],
                    "weight": 0,
                    "overrides": {},
                }
            ],
        )
    )
    bomb = GiftSubscription(platform=Platform.TWITCH, count=20)
    assert alert_box.resolve(gifts, bomb, RNG).variation == "Bomb"


def test_weighted_variations_are_drawn_by_weight() -> None:
    rules = [
        {"name": "A", "conditions": [], "weight": 3, "overrides": {}},
        {"name": "B", "conditions": [], "weight": 1, "overrides": {}},
    ]
    config = alert_box.SPEC.validate(with_type("raid", variations=rules))
    rng = random.Random(42)
    picks = [
        alert_box.resolve(config, Raid(platform=Platform.TWITCH, viewers=9), rng).variation
        for _ in range(2000)
    ]
    share = picks.count("A") / len(picks)
    assert 0.70 < share < 0.80


def test_broken_variations_are_refused_with_reasons() -> None:
    bad = [
        {
            "name": "",
            "conditions": [{"field": "mood", "op": ">=", "value": 1}],
            "weight": -1,
            "overrides": {"volume": 500, "script": "x"},
        }
    ]
    with pytest.raises(ConfigError) as info:
        alert_box.SPEC.validate(with_type("raid", variations=bad))
    problems = info.value.problems
    assert "Variation name must not be empty" in problems["types.raid.variations[0].name"]
    assert "condition field must be one of" in problems["types.raid.variations[0].conditions[0]"]
    assert "unknown settings: script" in problems["types.raid.variations[0].overrides"]
    assert "at most 100" in problems["types.raid.variations[0].overrides.volume"]


def test_money_formatting() -> None:
    fmt = alert_box.format_money
    assert fmt(Money(500, "USD")) == "$5.00"
    assert fmt(Money(123456, "EUR")) == "€1,234.56"
    assert fmt(Money(500, "JPY")) == "¥500"
    assert fmt(Money(1250, "CHF")) == "12.50 CHF"


def test_an_earlier_versions_default_text_reads_right_now_but_the_streamers_own_is_kept() -> None:
    config = copy.deepcopy(alert_box.SPEC.defaults)
    config["types"]["subscription"]["template"] = "{name} subscribed for {months} months!"
    config["types"]["raid"]["template"] = "{name} brought {viewers} viewers!!"
    repaired, problems = alert_box.SPEC.repair(config)
    assert not problems
    assert (
        repaired["types"]["subscription"]["template"]
        == "{name} subscribed for {months:month|months}!"
    )
    assert repaired["types"]["raid"]["template"] == "{name} brought {viewers} viewers!!"


def test_each_alert_type_shows_only_the_settings_that_mean_something_for_it() -> None:
    def keys(kind: str) -> set[str]:
        return {f.key for f in alert_box.form_fields(kind)}

    amounts = {"min_amount", "show_message", "message_min_amount"}
    assert not keys("follow") & amounts, "a follow has no amount and no message"
    assert keys("raid") & amounts == {"min_amount"}, "a raid has viewers, no message"
    assert keys("subscription") & amounts == {"min_amount", "show_message"}
    assert amounts <= keys("donation") and amounts <= keys("cheer")
    assert alert_box.condition_fields("follow") == ("platform",)
    assert "amount" in alert_box.condition_fields("donation")
    assert "tier" not in alert_box.condition_fields("cheer")
    # What is stored does not change: every type keeps every setting.
    stored = alert_box.defaults()["types"]
    assert {"min_amount", "show_message", "message_min_amount"} <= set(stored["follow"])


def test_alert_each_gifted_sub_is_a_subscription_setting_off_by_default() -> None:
    assert [
        k
        for k in alert_box.KIND_TITLES
        if "alert_gifted" in {f.key for f in alert_box.form_fields(k)}
    ] == ["subscription"], "the editor shows it for subscriptions only"
    stored = alert_box.defaults()["types"]
    assert stored["subscription"]["alert_gifted"] is False
    assert "alert_gifted" not in alert_box.OVERRIDABLE, "a variation changes looks, not whether"
    rng = random.Random(0)
    gifted = Subscription(platform=Platform.TWITCH, is_gift=True)
    bought = Subscription(platform=Platform.TWITCH)
    config = alert_box.defaults()
    assert alert_box.resolve(config, gifted, rng) is None, "the gift alert stands for it"
    assert alert_box.resolve(config, bought, rng) is not None
    assert alert_box.resolve(config, GiftSubscription(platform=Platform.TWITCH, count=1), rng)
    config["types"]["subscription"]["alert_gifted"] = True
    assert alert_box.resolve(config, gifted, rng) is not None


def test_units_are_described_the_way_the_form_shows_them() -> None:
    fields = {f.key: f for f in alert_box.type_fields("donation")}
    assert fields["duration_ms"].describe(6000) == "6 s"
    assert fields["text_delay_ms"].describe(1250) == "1.25 s"
    assert fields["min_amount"].display == "money"
    assert fields["min_amount"].describe(500) == "5.00"
    cheer = {f.key: f for f in alert_box.type_fields("cheer")}
    assert (cheer["min_amount"].label, cheer["min_amount"].describe(500)) == (
        "Minimum bits",
        "500 bits",
    )
    with pytest.raises(ConfigError) as info:
        WIDGETS["chat_box"].validate({"message_delay_ms": 90000})
    assert info.value.problems["message_delay_ms"] == "Message delay must be at most 60 s"
