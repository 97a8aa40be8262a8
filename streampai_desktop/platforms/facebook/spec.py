"""Facebook's spec: what the rest of the app knows about Facebook (Live on a Page)."""

from streampai_desktop.platforms.spec import Capabilities, Endpoint, PlatformSpec, SignInKind

SPEC = PlatformSpec(
    id="facebook",
    label="Facebook",
    brings=(
        "Comments and reactions on your Page's live videos, viewer counts, and commenting as "
        "the Page, through your Streampai account."
    ),
    capabilities=Capabilities(
        chat_max_length=8000,  # Facebook refuses longer comments
        viewer_count=True,  # the live video's live_views
        stream_key=True,
    ),
    # Facebook's code exchange needs the app secret, which a desktop cannot keep: the account
    # service exchanges it and hands the user token over (platforms/facebook/auth.py).
    sign_in=SignInKind.VIA_SERVICE,
    endpoints=(
        Endpoint(
            "facebook_api_url",
            "Facebook Graph API (versioned)",
            "https://graph.facebook.com/v21.0",
            "STREAMPAI_FACEBOOK_API_URL",
        ),
        Endpoint(
            "facebook_streaming_url",
            "Facebook live comments and reactions (Server-Sent Events)",
            "https://streaming-graph.facebook.com",
            "STREAMPAI_FACEBOOK_STREAMING_URL",
        ),
        # Facebook's own names: one_per_two_seconds, ten_per_second, one_hundred_per_second.
        # Above the rate Facebook keeps what it ranks highest and the rest never arrive.
        Endpoint(
            "facebook_comment_rate",
            "Facebook live comments: most per second",
            "ten_per_second",
            "STREAMPAI_FACEBOOK_COMMENT_RATE",
            is_url=False,
        ),
    ),
    connector="streampai_desktop.platforms.facebook.connector:create_connector",
    authenticator="streampai_desktop.platforms.facebook.auth:create_authenticator",
    packages=("httpx", "httpx-sse"),
)
