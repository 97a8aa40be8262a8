"""Kick's spec."""

from streampai_desktop.platforms.spec import Capabilities, Endpoint, PlatformSpec, SignInKind

SPEC = PlatformSpec(
    id="kick",
    label="Kick",
    brings="Chat, follows and subscriptions.",
    capabilities=Capabilities(
        chat_moderation=True,
        follows=True,
        subscriptions=True,
        gift_subscriptions=True,
        follower_count=True,
        stream_key=True,
    ),
    sign_in=SignInKind.VIA_SERVICE,
    endpoints=(
        Endpoint("kick_api_url", "Kick API", "https://api.kick.com", "STREAMPAI_KICK_API_URL"),
        Endpoint(
            "kick_emote_url",
            "Kick emote images",
            "https://files.kick.com/emotes/{id}/fullsize",
            "STREAMPAI_KICK_EMOTE_URL",
        ),
    ),
    emote_url_key="kick_emote_url",
)
