"""Account & Sync: the Streampai account and config sync (not available yet)."""

from __future__ import annotations

from streampai_desktop.ui.pages.placeholder import ComingSoonPage


def account_page() -> ComingSoonPage:
    return ComingSoonPage(
        "Account & Sync",
        "Everything works offline on this computer. A Streampai account will add sync.",
        [
            "Sign in to your Streampai account.",
            "Sync widget settings and connected accounts between your computers "
            "(secrets such as sign-in tokens stay in each computer's keyring).",
            "Receive donations made on your Streampai page as alerts.",
        ],
    )
