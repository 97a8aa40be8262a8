"""Twitch's spec: what the rest of the app knows about Twitch."""

from streampai_desktop.platforms.spec import Capabilities, Endpoint, PlatformSpec, SignInKind

SPEC = PlatformSpec(
    id="twitch",
    label="Twitch",
    brings=(
        "Chat, follows, subs, gift subs, cheers, raids, channel points, hype trains, polls, "
        "predictions, shoutouts, ad breaks, goals and charity donations."
    ),
    capabilities=Capabilities(
        chat_max_length=500,  # Twitch refuses longer messages
        chat_moderation=True,
        follows=True,
        subscriptions=True,
        gift_subscriptions=True,
        cheers=True,
        raids=True,
        channel_points=True,
        hype_trains=True,
        charity=True,
        follower_count=True,
        stream_key=True,
    ),
    sign_in=SignInKind.DEVICE_CODE,
    endpoints=(
        Endpoint(
            "twitch_eventsub_url",
            "Twitch EventSub WebSocket",
            "wss://eventsub.wss.twitch.tv/ws",
            "STREAMPAI_TWITCH_EVENTSUB_URL",
        ),
        Endpoint(
            "twitch_api_url",
            "Twitch Helix API",
            "https://api.twitch.tv/helix",
            "STREAMPAI_TWITCH_API_URL",
        ),
        Endpoint(
            "twitch_auth_url",
            "Twitch OAuth",
            "https://id.twitch.tv/oauth2",
            "STREAMPAI_TWITCH_AUTH_URL",
        ),
        # A placeholder until the Streampai public client is registered on dev.twitch.tv (type
        # "Public", device code flow on); no client secret ships with the app.
        Endpoint(
            "twitch_client_id",
            "Twitch client id",
            "streampai-desktop",
            "STREAMPAI_TWITCH_CLIENT_ID",
            is_url=False,
        ),
        Endpoint(
            "twitch_emote_url",
            "Twitch emote images",
            "https://static-cdn.jtvnw.net/emoticons/v2/{id}/default/dark/2.0",
            "STREAMPAI_TWITCH_EMOTE_URL",
        ),
    ),
    emote_url_key="twitch_emote_url",
    demo_emotes=(("LUL", "425618"), ("PogChamp", "305954156"), ("Kappa", "25")),
    connector="streampai_desktop.platforms.twitch.connector:create_connector",
    authenticator="streampai_desktop.platforms.twitch.auth:create_authenticator",
    packages=("twitchio",),
)
