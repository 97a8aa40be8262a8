"""A page for a feature that is not there yet: what it will do, and that it is not available."""

from __future__ import annotations

from streampai_desktop.ui.pages.common import Banner, Card, Page, label


class ComingSoonPage(Page):
    """Says plainly what is coming; no controls that pretend to work."""

    def __init__(self, title: str, subtitle: str, plans: list[str]) -> None:
        super().__init__(title, subtitle)
        self.body.addWidget(Banner("info", f"{title} is not available in this version yet."))
        card = Card("What is coming")
        for plan in plans:
            card.layout_.addWidget(label(f"•  {plan}", wrap=True))
        self.body.addWidget(card)
        self.body.addStretch(1)
