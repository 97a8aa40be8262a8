"""YouTube's spec."""

from streampai_desktop.platforms.spec import Capabilities, Endpoint, PlatformSpec, SignInKind

SPEC = PlatformSpec(
    id="youtube",
    label="YouTube",
    brings="Live chat, Super Chats, Super Stickers and memberships.",
    capabilities=Capabilities(
        chat_max_length=200,
        chat_moderation=True,
        subscriptions=True,
        super_chats=True,
        memberships=True,
        stream_key=True,
    ),
    sign_in=SignInKind.BROWSER_PKCE,
    endpoints=(
        Endpoint(
            "youtube_api_url",
            "YouTube Data API",
            "https://www.googleapis.com/youtube/v3",
            "STREAMPAI_YOUTUBE_API_URL",
        ),
    ),
)
