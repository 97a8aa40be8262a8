"""Demo mode: a believable stream's worth of chat and alerts, so overlays show activity with no
account connected (and streamers can rehearse their scene).

The pace imitates a small, lively channel: a chat line every couple of seconds, an alert every
ten to twenty-five seconds, and a first alert within a couple of seconds of starting so a freshly
pasted browser source shows something straight away. Every event is marked ``test``.

Demo events come only from platforms the app can connect today (``PlatformSpec.available``), each
kind only from a platform that has it (its capabilities): a demo must not show Super Chats or Kick
chat while the Platforms page says those platforms are coming later. The registry is read at
each event, so a platform registered later (a test's dummy platform) joins the demo too.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.events import (
    Badge,
    ChannelPointRedemption,
    CharityDonation,
    ChatMessage,
    Cheer,
    Donation,
    Event,
    Follow,
    Fragment,
    GiftSubscription,
    HypeTrainBegin,
    HypeTrainLevelUp,
    KicksGift,
    Membership,
    Money,
    Platform,
    Raid,
    Subscription,
    SuperChat,
    User,
)
from streampai_desktop.core.worker import Worker
from streampai_desktop.platforms.registry import PLATFORMS

log = logging.getLogger(__name__)

_VIEWERS = [
    ("PixelPaladin", "#1E90FF"),
    ("CozyCactus", "#2E8B57"),
    ("NightOwlNina", "#9B59B6"),
    ("TurboTaco", "#FF7F50"),
    ("LunaLoops", "#DAA520"),
    ("ByteBandit", "#00CED1"),
    ("MapleMochi", "#FF69B4"),
    ("RetroRaccoon", "#8A2BE2"),
    ("QuietQuokka", None),
    ("GlitchGoblin", "#32CD32"),
]
_CHAT_LINES = [
    "hi chat!",
    "that play was clean",
    "first time here, love the vibe",
    "what keyboard is that?",
    "LUL",
    "GG",
    "@{streamer} can you show the settings?",
    "lets gooo",
    "the overlay looks so good",
    "hydrate check",
    "PogChamp PogChamp",
    "how long have you been streaming today?",
]
_DONATION_MESSAGES = ["Keep it up!", "For the snack fund", "", "Loved the last stream <3"]
# Which capability (``Capabilities`` field) a platform needs to send each kind the demo makes.
CHAT = "chat_read"
_ALERT_KINDS: tuple[tuple[str, int, str | None], ...] = (
    # (factory, weight like a real channel's — follows most often, capability; None: our own)
    ("follow", 35, "follows"),
    ("subscription", 20, "subscriptions"),
    ("gift", 8, "gift_subscriptions"),
    ("cheer", 12, "cheers"),
    ("raid", 5, "raids"),
    ("donation", 12, None),  # donations come through the Streampai account: always possible
    ("redemption", 8, "channel_points"),
)


def demo_platforms(capability: str) -> list[Platform]:
    """The platforms the streamer can connect today that can send what ``capability`` names."""
    return [
        Platform(spec.id)
        for spec in PLATFORMS.values()
        if spec.available and getattr(spec.capabilities, capability)
    ]


def _declared_platforms(capability: str) -> list[Platform]:
    """Every registered platform with ``capability``, connectable yet or not."""
    return [
        Platform(spec.id) for spec in PLATFORMS.values() if getattr(spec.capabilities, capability)
    ]


@dataclass(frozen=True, slots=True)
class DemoPace:
    """Seconds between events, as (min, max) ranges."""

    chat: tuple[float, float] = (1.0, 4.0)
    alert: tuple[float, float] = (10.0, 25.0)
    first_alert: float = 1.5


class DemoSource:
    """Emits demo events into ``submit`` until stopped."""

    def __init__(
        self,
        submit: Callable[[Event], Awaitable[bool]],
        *,
        pace: DemoPace | None = None,
        seed: int | None = None,
        streamer: str = "you",
    ) -> None:
        self._submit = submit
        self._pace = pace or DemoPace()
        self._random = random.Random(seed)
        self._streamer = streamer
        self._counter = itertools.count(1)
        # Nothing to finish on stop (grace 0): the next demo message is simply not sent.
        self._workers = [
            Worker("demo chat", self._chat_loop, restart=Backoff(1.0, 30.0), grace=0),
            Worker("demo alerts", self._alert_loop, restart=Backoff(1.0, 30.0), grace=0),
        ]

    @property
    def running(self) -> bool:
        return any(worker.running for worker in self._workers)

    def start(self) -> None:
        if self.running:
            return
        log.info("demo mode: sending demo chat and alerts (no account connected)")
        for worker in self._workers:
            worker.start()

    async def stop(self) -> None:
        for worker in self._workers:
            await worker.stop()

    async def _chat_loop(self) -> None:
        while True:
            await asyncio.sleep(self._random.uniform(*self._pace.chat))
            if demo_platforms(CHAT):  # no chat at all rather than chat from nowhere
                await self._submit(self.chat_message())

    async def _alert_loop(self) -> None:
        await asyncio.sleep(self._pace.first_alert)
        while True:
            await self._submit(self.alert())
            await asyncio.sleep(self._random.uniform(*self._pace.alert))

    def _platform(self, capability: str) -> Platform:
        """A connectable platform that has ``capability``. A test button may ask for a kind no
        such platform has (a Super Chat alert's look): then a declared platform that has it,
        else our own (the event still shows what the alert looks like)."""
        choices = demo_platforms(capability) or _declared_platforms(capability)
        return self._random.choice(choices) if choices else Platform.STREAMPAI

    # --- event factories (public so previews and tests can use the same fake data) -------------

    def _user(self) -> User:
        name, color = self._random.choice(_VIEWERS)
        badges: tuple[Badge, ...] = ()
        if self._random.random() < 0.4:
            months = self._random.choice([1, 3, 6, 12, 24])
            badges = (Badge("subscriber", str(months), str(months)),)
        return User(
            id=str(zlib.crc32(name.encode())),
            login=name.lower(),
            display_name=name,
            color=color,
            badges=badges,
        )

    def _id(self) -> str:
        return f"demo-{next(self._counter)}-{self._random.getrandbits(32):08x}"

    def chat_message(self) -> ChatMessage:
        platform = self._platform(CHAT)
        spec = PLATFORMS.get(platform)
        # Emote ids only mean something on their platform, where it serves emote images.
        emotes = dict(spec.demo_emotes) if spec is not None and spec.emote_url_key else {}
        text = self._random.choice(_CHAT_LINES).replace("{streamer}", self._streamer)
        fragments: list[Fragment] = []
        plain: list[str] = []  # consecutive plain words become one text fragment
        for i, word in enumerate(text.split(" ")):
            special = word in emotes or word.startswith("@")
            if not special:
                plain.append(word if i == 0 else " " + word)
                continue
            if i:
                plain.append(" ")
            if plain:
                fragments.append(Fragment("text", "".join(plain)))
                plain = []
            if word in emotes:
                fragments.append(Fragment("emote", word, emote_id=emotes[word]))
            else:
                fragments.append(Fragment("mention", word, user_login=word[1:]))
        if plain:
            fragments.append(Fragment("text", "".join(plain)))
        return ChatMessage(
            platform=platform,
            id=self._id(),
            user=self._user(),
            text=text,
            fragments=tuple(fragments),
            test=True,
        )

    def alert(self) -> Event:
        """One alert of a random kind a connectable platform (or our own donations) can send,
        weighted like a real channel (follows most often)."""
        kinds = [
            (name, weight)
            for name, weight, capability in _ALERT_KINDS
            if capability is None or demo_platforms(capability)
        ]
        name = self._random.choices([n for n, _ in kinds], weights=[w for _, w in kinds])[0]
        factory: Callable[[], Event] = getattr(self, name)
        return factory()

    def follow(self) -> Follow:
        return Follow(
            platform=self._platform("follows"), id=self._id(), user=self._user(), test=True
        )

    def subscription(self) -> Subscription:
        months = self._random.choice([1, 1, 2, 6, 12])
        return Subscription(
            platform=self._platform("subscriptions"),
            id=self._id(),
            user=self._user(),
            test=True,
            tier=self._random.choice(["1000", "1000", "2000", "3000"]),
            months=months,
            message="Love this community!" if months > 1 else "",
        )

    def gift(self) -> GiftSubscription:
        return GiftSubscription(
            platform=self._platform("gift_subscriptions"),
            id=self._id(),
            user=self._user(),
            test=True,
            count=self._random.choice([1, 5, 10]),
        )

    def cheer(self) -> Cheer:
        return Cheer(
            platform=self._platform("cheers"),
            id=self._id(),
            user=self._user(),
            test=True,
            bits=self._random.choice([100, 250, 500, 1000]),
            message="Cheer100 great stream",
        )

    def raid(self) -> Raid:
        return Raid(
            platform=self._platform("raids"),
            id=self._id(),
            user=self._user(),
            test=True,
            viewers=self._random.randint(5, 120),
        )

    def donation(self) -> Donation:
        return Donation(
            platform=Platform.STREAMPAI,
            id=self._id(),
            user=self._user(),
            test=True,
            amount=Money(self._random.choice([300, 500, 1000, 2500]), "USD"),
            message=self._random.choice(_DONATION_MESSAGES),
        )

    def super_chat(self) -> SuperChat:
        return SuperChat(
            platform=self._platform("super_chats"),
            id=self._id(),
            user=self._user(),
            test=True,
            amount=Money(self._random.choice([200, 500, 1000, 5000]), "USD"),
            message=self._random.choice(_DONATION_MESSAGES),
        )

    def membership(self) -> Membership:
        return Membership(
            platform=self._platform("memberships"),
            id=self._id(),
            user=self._user(),
            test=True,
            level_name="Member",
            months=self._random.choice([1, 3, 12]),
        )

    # Rare moments, not in the demo's rotation: their alert types' test buttons use these.

    def charity_donation(self) -> CharityDonation:
        return CharityDonation(
            platform=self._platform("charity"),
            id=self._id(),
            user=self._user(),
            test=True,
            amount=Money(self._random.choice([500, 1000, 2500]), "USD"),
            charity_name=self._random.choice(["Direct Relief", "St. Jude", "Water.org"]),
        )

    def kicks_gift(self) -> KicksGift:
        kicks, name, tier = self._random.choice(
            [(100, "Hype", "BASIC"), (500, "Rage Quit", "MID"), (5000, "Full Send", "HIGH")]
        )
        return KicksGift(
            platform=self._platform("kicks"),
            id=self._id(),
            user=self._user(),
            test=True,
            kicks=kicks,
            gift_name=name,
            tier=tier,
            message=self._random.choice(_DONATION_MESSAGES),
        )

    def hype_train_begin(self) -> HypeTrainBegin:
        return HypeTrainBegin(
            platform=self._platform("hype_trains"),
            id=self._id(),
            test=True,
            train_id=self._id(),
            level=1,
            total=600,
            progress=600,
            goal=1800,
        )

    def hype_train_level_up(self) -> HypeTrainLevelUp:
        level = self._random.randint(2, 5)
        return HypeTrainLevelUp(
            platform=self._platform("hype_trains"),
            id=self._id(),
            test=True,
            train_id=self._id(),
            level=level,
            total=level * 2000,
            progress=150,
            goal=1000 + level * 800,
        )

    def redemption(self) -> ChannelPointRedemption:
        title, cost = self._random.choice(
            [("Hydrate", 100), ("Choose the next song", 500), ("Posture check", 200)]
        )
        return ChannelPointRedemption(
            platform=self._platform("channel_points"),
            id=self._id(),
            user=self._user(),
            test=True,
            reward_id=title.lower().replace(" ", "-"),
            reward_title=title,
            cost=cost,
        )
