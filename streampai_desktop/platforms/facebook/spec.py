"""Facebook's spec."""

from streampai_desktop.platforms.spec import Capabilities, Endpoint, PlatformSpec, SignInKind

SPEC = PlatformSpec(
    id="facebook",
    label="Facebook",
    brings="Comments, reactions and Stars.",
    capabilities=Capabilities(chat_send=False, follows=True, donations=True, stream_key=True),
    sign_in=SignInKind.VIA_SERVICE,
    endpoints=(
        Endpoint(
            "facebook_api_url",
            "Facebook Graph API",
            "https://graph.facebook.com",
            "STREAMPAI_FACEBOOK_API_URL",
        ),
    ),
)
