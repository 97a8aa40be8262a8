"""Kick's spec: what the rest of the app knows about Kick."""

from streampai_desktop.platforms.spec import Capabilities, Endpoint, PlatformSpec, SignInKind

SPEC = PlatformSpec(
    id="kick",
    label="Kick",
    brings=(
        "Chat, follows, subs and gifted subs, Kicks, reward redemptions and viewer counts, "
        "through your Streampai account (Kick sends its events only to a public server)."
    ),
    capabilities=Capabilities(
        chat_max_length=500,  # POST /public/v1/chat refuses longer content
        chat_moderation=True,  # bans remove the banned viewer's messages
        follows=True,
        subscriptions=True,
        gift_subscriptions=True,
        channel_points=True,  # Kick's channel rewards
        kicks=True,
        stream_key=True,
    ),
    # Kick's token exchange needs the app's client secret and its events come as webhooks: the
    # account service holds the one and receives the other (platforms/kick/auth.py).
    sign_in=SignInKind.VIA_SERVICE,
    endpoints=(
        Endpoint("kick_api_url", "Kick API", "https://api.kick.com", "STREAMPAI_KICK_API_URL"),
        # Only for signing out: revoking a token needs no client secret.
        Endpoint("kick_auth_url", "Kick sign-in", "https://id.kick.com", "STREAMPAI_KICK_AUTH_URL"),
        Endpoint(
            "kick_emote_url",
            "Kick emote images",
            "https://files.kick.com/emotes/{id}/fullsize",
            "STREAMPAI_KICK_EMOTE_URL",
        ),
    ),
    emote_url_key="kick_emote_url",
    demo_emotes=(("KEKW", "37226"),),  # the emote of Kick's own chat example
    connector="streampai_desktop.platforms.kick.connector:create_connector",
    authenticator="streampai_desktop.platforms.kick.auth:create_authenticator",
    packages=("httpx",),
)
