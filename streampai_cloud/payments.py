"""Payment providers: the donation endpoint charges through this interface, never a vendor SDK."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PaymentResult:
    """What a provider answers: approved with its own reference, or declined with a reason."""

    approved: bool
    reference: str
    reason: str = ""


class PaymentProvider(Protocol):
    """Charges a viewer for a donation. `token` is what the provider's checkout gave the viewer."""

    name: str

    async def charge(self, *, amount: int, currency: str, token: str) -> PaymentResult: ...


class TestPaymentProvider:
    """Approves every token except `tok_declined`, like a payment vendor's test mode."""

    __test__ = False  # not a pytest test class despite its name
    name = "test"

    async def charge(self, *, amount: int, currency: str, token: str) -> PaymentResult:
        if token == "tok_declined":
            return PaymentResult(approved=False, reference="", reason="The card was declined.")
        return PaymentResult(approved=True, reference=f"test_{secrets.token_hex(8)}")
