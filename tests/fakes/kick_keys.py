"""The fake Kick's webhook signing key: an RSA pair made once per test process.

Kick signs each webhook with its private key (RSA PKCS#1 v1.5 over SHA-256) and publishes the
public half as PEM (``GET /public/v1/public-key``). The fake does the same with this pair, made
at import rather than stored, so no private key text lives in the repository. ``FORGER_KEY`` is
a second pair for "signed, but not by Kick" cases.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def new_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    """The public half as Kick serves it: a PKIX ``-----BEGIN PUBLIC KEY-----`` block."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def sign(message: bytes, key: rsa.RSAPrivateKey) -> str:
    """Base64 (standard alphabet, padded) RSA PKCS#1 v1.5 SHA-256 signature, as in the header."""
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


PRIVATE_KEY = new_private_key()
PUBLIC_KEY_PEM = public_pem(PRIVATE_KEY)
FORGER_KEY = new_private_key()

__all__ = ["FORGER_KEY", "PRIVATE_KEY", "PUBLIC_KEY_PEM", "new_private_key", "public_pem", "sign"]
