"""YouTube's spec: what the rest of the app knows about YouTube."""

from streampai_desktop.platforms.spec import Capabilities, Endpoint, PlatformSpec, SignInKind

SPEC = PlatformSpec(
    id="youtube",
    label="YouTube",
    brings=(
        "Live chat in real time, Super Chats, Super Stickers, memberships, membership gifts "
        "and viewer counts."
    ),
    capabilities=Capabilities(
        chat_max_length=200,  # liveChatMessages.insert refuses longer text
        chat_moderation=True,
        subscriptions=True,  # gifted memberships are recorded as gifted subs
        super_chats=True,
        memberships=True,
        stream_key=True,
    ),
    # Google's device flow: the youtube scope is allowed for limited-input devices.
    sign_in=SignInKind.DEVICE_CODE,
    endpoints=(
        Endpoint(
            "youtube_api_url",
            "YouTube Data API",
            "https://youtube.googleapis.com/youtube/v3",
            "STREAMPAI_YOUTUBE_API_URL",
        ),
        Endpoint(
            "youtube_auth_url",
            "Google OAuth",
            "https://oauth2.googleapis.com",
            "STREAMPAI_YOUTUBE_AUTH_URL",
        ),
        # Placeholders until the Streampai client is registered in Google Cloud (type "TVs and
        # Limited Input devices"). Google documents an installed app's secret as not
        # confidential: it ships in every copy, so it is a setting, not a keyring secret.
        Endpoint(
            "youtube_client_id",
            "YouTube client id",
            "streampai-desktop.apps.googleusercontent.com",
            "STREAMPAI_YOUTUBE_CLIENT_ID",
            is_url=False,
        ),
        Endpoint(
            "youtube_client_secret",
            "YouTube client secret (installed app, not confidential)",
            "streampai-desktop-installed-app",
            "STREAMPAI_YOUTUBE_CLIENT_SECRET",
            is_url=False,
        ),
        # Google's default is 10,000 units a day; a project with a raised quota says so here.
        Endpoint(
            "youtube_quota_per_day",
            "YouTube API quota per day (units)",
            "10000",
            "STREAMPAI_YOUTUBE_QUOTA_PER_DAY",
            is_url=False,
        ),
    ),
    connector="streampai_desktop.platforms.youtube.connector:create_connector",
    authenticator="streampai_desktop.platforms.youtube.auth:create_authenticator",
    packages=("httpx",),
)
