"""Alert Box: what every alert type looks like, its variations, and how an event becomes the
resolved settings the overlay page renders.

The app resolves variations (not the page) so that every alert box instance shows the same
alert, including when a variation is drawn at random.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from streampai_desktop.core.bus import TOPIC_ALERTS
from streampai_desktop.core.events import (
    ALERT_KINDS,
    ChannelPointRedemption,
    CharityDonation,
    Cheer,
    Donation,
    Event,
    GiftSubscription,
    HypeTrainEvent,
    KicksGift,
    Membership,
    Money,
    Raid,
    Subscription,
    SuperChat,
)
from streampai_desktop.widgets.schema import (
    FONTS,
    Field,
    Sections,
    defaults_of,
    validate_fields,
)
from streampai_desktop.widgets.spec import WidgetSpec

LAYOUTS = ("image_above", "image_left", "text_over_image")
SHOW_ANIMATIONS = ("fade", "slide_up", "slide_down", "zoom", "bounce", "none")
HIDE_ANIMATIONS = ("fade", "slide_up", "slide_down", "zoom", "none")

KIND_TITLES = {
    "follow": "Follow",
    "subscription": "Subscription",
    "gift_subscription": "Gift subscription",
    "cheer": "Cheer (bits)",
    "raid": "Raid",
    "donation": "Donation",
    "channel_point_redemption": "Channel points",
    "super_chat": "Super Chat",
    "membership": "Membership",
    "charity_donation": "Charity donation",
    "kicks_gift": "Kicks (Kick gifts)",
    # Two types, not one with a level: a streamer wants the start to be the big moment and each
    # level up shorter (or off, or only from level 3), with their own sound.
    "hype_train_begin": "Hype Train start",
    "hype_train_level_up": "Hype Train level up",
}
assert set(KIND_TITLES) == set(ALERT_KINDS), "every alertable kind needs an alert type"

# Per kind: (template, image, sound). The media are bundled in resources/media/.
# ``{months:month|months}`` is the number and its noun, singular for exactly 1 (the overlay renders
# it: overlays/src/alert_box/alert.js), so the defaults read right for one sub and for many.
_KIND_DEFAULTS: dict[str, tuple[str, str, str]] = {
    "follow": ("{name} just followed!", "builtin/follow.svg", "builtin/chime.wav"),
    "subscription": (
        "{name} subscribed for {months:month|months}!",
        "builtin/subscription.svg",
        "builtin/fanfare.wav",
    ),
    "gift_subscription": (
        "{name} gifted {count:sub|subs}!",
        "builtin/gift.svg",
        "builtin/fanfare.wav",
    ),
    "cheer": ("{name} cheered {amount}!", "builtin/cheer.svg", "builtin/coins.wav"),
    "raid": (
        "{name} is raiding with {viewers:viewer|viewers}!",
        "builtin/raid.svg",
        "builtin/horn.wav",
    ),
    "donation": ("{name} donated {amount}!", "builtin/donation.svg", "builtin/coins.wav"),
    "channel_point_redemption": (
        "{name} redeemed {reward}",
        "builtin/points.svg",
        "builtin/chime.wav",
    ),
    "super_chat": (
        "{name} sent a Super Chat: {amount}",
        "builtin/donation.svg",
        "builtin/coins.wav",
    ),
    "membership": ("{name} became a member!", "builtin/subscription.svg", "builtin/fanfare.wav"),
    "charity_donation": (
        "{name} donated {amount} to {charity}!",
        "builtin/charity.svg",
        "builtin/coins.wav",
    ),
    # ``{amount}`` is "500 Kicks" (amount_text); the gift's own name is Kick's, not ours to show.
    "kicks_gift": ("{name} sent {amount}!", "builtin/cheer.svg", "builtin/coins.wav"),
    "hype_train_begin": (
        "The Hype Train has started at level {level}!",
        "builtin/hype_train.svg",
        "builtin/fanfare.wav",
    ),
    "hype_train_level_up": (
        "Hype Train level {level}!",
        "builtin/hype_train.svg",
        "builtin/chime.wav",
    ),
}


# What each alert type's event carries, so its form shows only the settings that mean something
# for it. The stored config keeps every setting for every type (the format and the overlay
# protocol do not change); the form and the variations editor show ``form_fields(kind)``.
#
# The amount that ``min_amount`` and ``amount`` conditions compare (``event_amount``), per kind:
# (what the form calls the minimum, its unit — "money" is minor units shown in a currency —, what
# an ``amount`` condition is called). Follows have no amount.
AMOUNTS: dict[str, tuple[str, str, str]] = {
    "subscription": ("Minimum months", "months", "Months"),
    "gift_subscription": ("Minimum gifts", "gifts", "Gift count"),
    "cheer": ("Minimum bits", "bits", "Bits"),
    "raid": ("Minimum raid size", "viewers", "Raid viewers"),
    "donation": ("Minimum amount", "money", "Amount"),
    "channel_point_redemption": ("Minimum cost", "points", "Cost (points)"),
    "super_chat": ("Minimum amount", "money", "Amount"),
    "membership": ("Minimum months", "months", "Months"),
    "charity_donation": ("Minimum amount", "money", "Amount"),
    "kicks_gift": ("Minimum Kicks", "Kicks", "Kicks"),
    "hype_train_begin": ("Minimum level", "level", "Level"),
    "hype_train_level_up": ("Minimum level", "level", "Level"),
}
# Kinds whose event carries the viewer's own words (a resub message, a cheer's or donation's
# message, a redemption's input): only these show "Show the viewer's message".
WITH_MESSAGE = frozenset(
    {
        "subscription",
        "cheer",
        "donation",
        "channel_point_redemption",
        "super_chat",
        "membership",
        "kicks_gift",
    }
)
# Kinds whose events can be one of several gifts a gifter gave at once (Twitch sends one
# community gift for the gifter and one gifted sub per recipient): only these show "Alert each
# gifted sub". Off, the gifter's gift alert stands for them all; the gifted subs are recorded
# (event log, Events page) without an alert of their own.
WITH_GIFTED = frozenset({"subscription"})
# Kinds where one event type is both a viewer's own and a gift to others (YouTube sends a
# membership gift as a membership with ``gifted_count``): they have a second message for gifts,
# so "X became a member!" never announces "X gifted 5 memberships".
WITH_GIFT_TEMPLATE = frozenset({"membership"})
# Kinds whose message the overlay shows only from an amount on (the page compares its own amount
# of the event: money, bits — overlays/src/alert_box/alert.js ``eventAmount``).
WITH_MESSAGE_AMOUNT = frozenset({"cheer", "donation", "super_chat"})
# The variation conditions that mean something per kind (``amount`` is left out where it is the
# same number as a named field: months, gift count, raid viewers).
KIND_CONDITIONS: dict[str, tuple[str, ...]] = {
    "follow": ("platform",),
    "subscription": ("months", "tier", "platform"),
    "gift_subscription": ("count", "tier", "platform"),
    "cheer": ("amount", "platform"),
    "raid": ("viewers", "platform"),
    "donation": ("amount", "platform"),
    "channel_point_redemption": ("amount", "platform"),
    "super_chat": ("amount", "platform"),
    "membership": ("months", "platform"),
    "charity_donation": ("amount", "platform"),
    "kicks_gift": ("amount", "tier", "platform"),
    "hype_train_begin": ("amount", "platform"),
    "hype_train_level_up": ("amount", "platform"),
}
assert set(AMOUNTS) | {"follow"} == set(KIND_TITLES) == set(KIND_CONDITIONS)


def _amount_field(kind: str, key: str, label: str, default_help: str) -> Field:
    """``min_amount`` or ``message_min_amount`` in the words and unit of ``kind``'s amount."""
    named, unit, _condition = AMOUNTS.get(kind, (label, "", ""))
    money = unit == "money"
    return Field(
        key,
        named if key == "min_amount" else label,
        "int",
        0,
        0,
        10**9,
        suffix="" if money or unit == "level" else unit,  # "Minimum level 3", not "3 level"
        display="money" if money else "",
        help=default_help,
    )


def type_fields(kind: str) -> tuple[Field, ...]:
    """Every setting of one alert type, with that type's defaults and words (what is stored and
    validated; the form shows :func:`form_fields`)."""
    template, image, sound = _KIND_DEFAULTS[kind]
    return (
        Field("enabled", "Show this alert", "bool", True),
        Field("duration_ms", "Duration", "int", 6000, 1000, 60000, suffix="ms", display="seconds"),
        Field(
            "template",
            "Message template",
            "template",
            template,
            help="Placeholders: {name} {amount} {currency} {months} {count} {tier} "
            "{viewers} {message} {platform} {reward} {charity} {level}. A count with its word "
            "in both forms, "
            "like {count:sub|subs}, reads right for one and for many.",
        ),
        Field(
            "gift_template",
            "Message for gifted memberships",
            "template",
            "{name} gifted {count:membership|memberships}!",
            help="When a viewer gives memberships to others, this message is shown instead "
            "(one alert for the whole gift). Same placeholders.",
        ),
        Field(
            "layout",
            "Layout",
            "choice",
            "image_above",
            choices=LAYOUTS,
            choice_labels=("Image above text", "Image left of text", "Text over image"),
        ),
        Field("image", "Image or video", "media", image, media_kinds=("image", "video")),
        Field(
            "image_size",
            "Image size",
            "int",
            256,
            32,
            1920,
            suffix="px",
            help="The image or video is scaled to fit a square this big (and the overlay).",
        ),
        Field("sound", "Sound", "media", sound, media_kinds=("sound",)),
        Field("volume", "Volume", "int", 60, 0, 100, suffix="%"),
        Field("font_family", "Font", "choice", "Inter", choices=FONTS),
        Field("font_size", "Font size", "int", 48, 12, 160, suffix="px"),
        Field("font_weight", "Font weight", "int", 800, 100, 900),
        Field("text_color", "Text colour", "color", "#ffffff"),
        Field("highlight_color", "Highlight colour", "color", "#9146ff"),
        Field("text_shadow", "Text shadow", "bool", True),
        Field("show_animation", "Show animation", "choice", "fade", choices=SHOW_ANIMATIONS),
        Field("hide_animation", "Hide animation", "choice", "fade", choices=HIDE_ANIMATIONS),
        Field("text_delay_ms", "Text delay", "int", 0, 0, 10000, suffix="ms", display="seconds"),
        _amount_field(
            kind,
            "min_amount",
            "Minimum amount",
            "Smaller ones show no alert."
            + (
                " In the currency it was sent in: 5.00 is $5.00, €5.00 or £5.00."
                if kind in _MONEY_KINDS
                else ""
            ),
        ),
        Field(
            "alert_gifted",
            "Alert each gifted sub",
            "bool",
            False,
            help="A gift of 20 subs shows one gift alert for the gifter. Turn this on to also "
            "show a sub alert for each viewer who received one.",
        ),
        Field("show_message", "Show the viewer's message", "bool", True),
        _amount_field(
            kind,
            "message_min_amount",
            "Show the message from",
            "Smaller ones show the alert without the message.",
        ),
    )


_MONEY_KINDS = frozenset(k for k, (_n, unit, _c) in AMOUNTS.items() if unit == "money")


def applies(kind: str, key: str) -> bool:
    """Whether the setting ``key`` means something for alerts of ``kind``."""
    if key == "min_amount":
        return kind in AMOUNTS
    if key == "alert_gifted":
        return kind in WITH_GIFTED
    if key == "gift_template":
        return kind in WITH_GIFT_TEMPLATE
    if key == "show_message":
        return kind in WITH_MESSAGE
    if key == "message_min_amount":
        return kind in WITH_MESSAGE_AMOUNT
    return True


def form_fields(kind: str) -> tuple[Field, ...]:
    """The settings the form shows for ``kind``: those that mean something for its event."""
    return tuple(f for f in type_fields(kind) if applies(kind, f.key))


def condition_fields(kind: str) -> tuple[str, ...]:
    """The variation conditions offered for ``kind`` (stored ones of other fields still load)."""
    return KIND_CONDITIONS.get(kind, CONDITION_FIELDS)


def condition_unit(kind: str, field: str) -> str:
    """The unit of a condition's value: "money" for a money amount, else ""."""
    if field == "amount":
        return AMOUNTS.get(kind, ("", "", ""))[1]
    return ""


def condition_label(kind: str, field: str) -> str:
    """What the variations editor calls a condition field for ``kind``."""
    if field == "amount" and kind in AMOUNTS:
        return AMOUNTS[kind][2]
    return CONDITION_LABELS.get(field, field)


CONDITION_LABELS = {
    "amount": "Amount",
    "tier": "Tier",
    "months": "Months",
    "count": "Gift count",
    "viewers": "Raid viewers",
    "platform": "Platform",
}


TYPE_SECTIONS: Sections = (
    ("When it shows", ("enabled", "alert_gifted", "min_amount", "duration_ms")),
    (
        "Text",
        (
            "template",
            "show_message",
            "message_min_amount",
            "font_family",
            "font_size",
            "font_weight",
            "text_color",
            "highlight_color",
            "text_shadow",
            "text_delay_ms",
        ),
    ),
    ("Image and sound", ("layout", "image", "image_size", "sound", "volume")),
    ("Animation", ("show_animation", "hide_animation")),
)

QUEUE_FIELDS = (
    Field("gap_ms", "Gap between alerts", "int", 1000, 0, 30000, suffix="ms", display="seconds"),
    Field("hold_when_hidden", "Hold alerts while the OBS source is hidden", "bool", False),
    Field(
        "max_wait_s",
        "Keep alerts while no alert box is open for",
        "int",
        600,
        0,
        86400,
        suffix="s",
        help="After this, waiting alerts are recorded as missed.",
    ),
)

CONDITION_FIELDS = ("amount", "tier", "months", "count", "viewers", "platform")
CONDITION_OPS = (">=", "=")
# What a variation may change: how the alert looks, not whether it shows.
OVERRIDABLE = {f.key for f in type_fields("follow")} - {"enabled", "alert_gifted"}


def defaults() -> dict[str, Any]:
    config = defaults_of(QUEUE_FIELDS)
    config["types"] = {
        kind: {**defaults_of(type_fields(kind)), "variations": []} for kind in ALERT_KINDS
    }
    return config


# The defaults of earlier versions, which said "1 months". Every install saved its defaults, so a
# template still equal to one of them was never written by the streamer: it becomes today's
# default (in the editor and on stream). A template the streamer wrote is never touched.
_EARLIER_DEFAULT_TEMPLATES = {
    "subscription": "{name} subscribed for {months} months!",
    "gift_subscription": "{name} gifted {count} subs!",
    "raid": "{name} is raiding with {viewers} viewers!",
}


def repair(config: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """(usable config, problems): bad values replaced by defaults, bad variations dropped, and
    earlier versions' default templates replaced by today's."""
    if not isinstance(config, Mapping):
        return defaults(), {"": "the alert box config must be an object"}
    cleaned, problems = validate_fields(QUEUE_FIELDS, config)
    types_in = config.get("types", {})
    if not isinstance(types_in, Mapping):
        problems["types"] = "must be an object"
        types_in = {}
    types_out: dict[str, Any] = {}
    for kind in ALERT_KINDS:
        raw = types_in.get(kind, {})
        if not isinstance(raw, Mapping):
            problems[f"types.{kind}"] = "must be an object"
            raw = {}
        values, type_problems = validate_fields(type_fields(kind), raw, path=f"types.{kind}.")
        problems.update(type_problems)
        if values.get("template") == _EARLIER_DEFAULT_TEMPLATES.get(kind):
            # Today's default: "1 month", not "1 months".
            values["template"] = _KIND_DEFAULTS[kind][0]
        values["variations"] = _validate_variations(kind, raw.get("variations", []), problems)
        types_out[kind] = values
    for kind, raw in types_in.items():  # a newer version's alert type is kept, not dropped
        if kind not in types_out:
            types_out[kind] = raw
    cleaned["types"] = types_out
    return cleaned, problems


def _validate_variations(kind: str, raw: Any, problems: dict[str, str]) -> list[dict[str, Any]]:
    path = f"types.{kind}.variations"
    if not isinstance(raw, list):
        problems[path] = "must be a list"
        return []
    out = []
    fields = {f.key: f for f in type_fields(kind)}
    for i, variation in enumerate(raw):
        where = f"{path}[{i}]"
        problems_before = len(problems)
        if not isinstance(variation, Mapping):
            problems[where] = "must be an object"
            continue
        name = variation.get("name", "")
        if not isinstance(name, str) or not name.strip():
            problems[f"{where}.name"] = "Variation name must not be empty"
        weight = variation.get("weight", 0)
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 1000:
            problems[f"{where}.weight"] = "Random weight must be a whole number from 0 to 1000"
        conditions = variation.get("conditions", [])
        if not isinstance(conditions, list):
            problems[f"{where}.conditions"] = "must be a list"
            conditions = []
        for j, cond in enumerate(conditions):
            cwhere = f"{where}.conditions[{j}]"
            if not isinstance(cond, Mapping) or cond.get("field") not in CONDITION_FIELDS:
                problems[cwhere] = f"condition field must be one of {', '.join(CONDITION_FIELDS)}"
                continue
            if cond.get("op") not in CONDITION_OPS:
                problems[cwhere] = "condition must use >= or ="
                continue
            value = cond.get("value")
            numeric = cond["field"] not in ("platform", "tier")
            if numeric and (isinstance(value, bool) or not isinstance(value, int)):
                problems[cwhere] = f"{cond['field']} must be compared with a whole number"
            elif not numeric and not isinstance(value, str):
                problems[cwhere] = f"{cond['field']} must be compared with text"
        overrides = variation.get("overrides", {})
        if not isinstance(overrides, Mapping):
            problems[f"{where}.overrides"] = "must be an object"
            overrides = {}
        unknown = set(overrides) - OVERRIDABLE
        if unknown:
            problems[f"{where}.overrides"] = f"unknown settings: {', '.join(sorted(unknown))}"
        checked, override_problems = validate_fields(
            [fields[k] for k in overrides if k in OVERRIDABLE],
            {k: v for k, v in overrides.items() if k in OVERRIDABLE},
            path=f"{where}.overrides.",
            partial=True,
        )
        problems.update(override_problems)
        if len(problems) > problems_before:
            continue  # a broken rule is dropped rather than half-applied
        out.append(
            {
                "name": name,
                "conditions": [dict(c) for c in conditions if isinstance(c, Mapping)],
                "weight": weight,
                "overrides": checked,
            }
        )
    return out


SPEC = WidgetSpec(
    type="alert_box",
    title="Alert Box",
    description="Follows, subs, gifts, cheers, raids, donations and more, one at a time.",
    topics=(TOPIC_ALERTS,),
    defaults=defaults(),
    repair=repair,
    fields=QUEUE_FIELDS,
    settings_tab="Queue",
    settings_note="How alerts take turns.",
    alert_types=True,
    test_events=tuple(KIND_TITLES.items()),
    test_note=(
        "In the preview: a fake event shows in the preview page in your browser only, with the "
        "settings you are editing. On stream: a fake event goes through the local API exactly "
        "like a real one — it waits its turn in the alert queue and shows on every open Alert "
        "Box, OBS included, with the saved settings."
    ),
    test_sent="Sent a test {title} alert; it shows when its turn in the queue comes.",
    preview_interval=5.0,
)


# --- turning an event into what the page shows ----------------------------------------------------

_CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CAD": "CA$",
    "AUD": "A$",
    "BRL": "R$",
    "INR": "₹",
    "KRW": "₩",
    "PLN": "zł ",
}
_ZERO_DECIMAL = {"JPY", "KRW", "CLP", "VND", "ISK", "HUF"}


def format_money(money: Money) -> str:
    """``$5.00``, ``¥500``, ``12.50 CHF``: good enough for a headline; the page may re-format."""
    decimals = 0 if money.currency in _ZERO_DECIMAL else 2
    value = money.minor / (10**decimals)
    number = f"{value:,.{decimals}f}"
    symbol = _CURRENCY_SYMBOLS.get(money.currency)
    return f"{symbol}{number}" if symbol else f"{number} {money.currency}"


def event_amount(event: Event) -> int | None:
    """The number that ``min_amount`` and ``amount`` conditions compare against."""
    match event:
        case Donation() | SuperChat():
            return event.amount.minor
        case Cheer():
            return event.bits
        case Raid():
            return event.viewers
        case GiftSubscription():
            return event.count
        case Subscription() | Membership():
            return event.months
        case ChannelPointRedemption():
            return event.cost
        case CharityDonation():
            return event.amount.minor
        case KicksGift():
            return event.kicks
        case HypeTrainEvent():
            return event.level
    return None


def amount_text(event: Event) -> str:
    match event:
        case Donation() | SuperChat() | CharityDonation():
            return format_money(event.amount)
        case Cheer():
            return f"{event.bits:,} {'bit' if event.bits == 1 else 'bits'}"
        case KicksGift():
            return f"{event.kicks:,} {'Kick' if event.kicks == 1 else 'Kicks'}"
    amount = event_amount(event)
    return "" if amount is None else f"{amount:,}"


def _condition_holds(event: Event, cond: Mapping[str, Any]) -> bool:
    name, op, expected = cond["field"], cond["op"], cond["value"]
    actual: Any
    if name == "amount":
        actual = event_amount(event)
    elif name == "platform":
        actual = event.platform.value
    else:
        actual = getattr(event, name, None)
    if actual is None:
        return False
    if op == "=":
        return (
            str(actual).lower() == str(expected).lower()
            if name in ("platform", "tier")
            else actual == expected
        )
    return isinstance(actual, int) and actual >= expected


def choose_variation(
    variations: list[dict[str, Any]], event: Event, rng: random.Random
) -> dict[str, Any] | None:
    """Rules are checked in order and the first one whose conditions all hold wins. When that rule
    has a random weight, the winner is drawn among every matching weighted rule by weight."""
    matching = [v for v in variations if all(_condition_holds(event, c) for c in v["conditions"])]
    if not matching:
        return None
    first = matching[0]
    if not first.get("weight"):
        return first
    weighted = [v for v in matching if v.get("weight")]
    return rng.choices(weighted, weights=[v["weight"] for v in weighted])[0]


@dataclass(frozen=True, slots=True)
class ResolvedAlert:
    settings: dict[str, Any]
    variation: str | None


def is_gifted(event: Event) -> bool:
    """A sub the viewer received as a gift (the gifter's gift event is the alert for it)."""
    return isinstance(event, Subscription) and event.is_gift


def resolve(config: Mapping[str, Any], event: Event, rng: random.Random) -> ResolvedAlert | None:
    """What the page shows for ``event``; None when the type is off or below its minimum, or
    the event is a gifted sub and the type does not alert each gifted sub."""
    type_config = config.get("types", {}).get(event.kind)
    if not type_config or not type_config.get("enabled", True):
        return None
    if is_gifted(event) and not type_config.get("alert_gifted", False):
        return None
    amount = event_amount(event)
    if amount is not None and amount < type_config.get("min_amount", 0):
        return None
    variation = choose_variation(type_config.get("variations", []), event, rng)
    settings = {k: v for k, v in type_config.items() if k != "variations"}
    gift_template = settings.pop("gift_template", None)
    if gift_template and isinstance(event, Membership) and event.gifted_count > 0:
        settings["template"] = gift_template
    if variation:
        settings.update(variation["overrides"])
    settings["amount_text"] = amount_text(event)
    return ResolvedAlert(settings, variation["name"] if variation else None)
