"""Secrets: argon2 password hashes, the password policy, generated passwords and opaque tokens.

Hashing is CPU-bound on purpose; the async helpers run it in a thread so the event loop keeps serving.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sihua_shared.errors import Problem

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128
# Verified against when a username is unknown, so that the answer takes as long as for a real account.
_DUMMY_HASH = _hasher.hash("sihua-no-such-account-0")


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, secret) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


async def hash_secret_async(secret: str) -> str:
    return await asyncio.to_thread(hash_secret, secret)


async def verify_secret_async(stored_hash: str | None, secret: str) -> bool:
    return await asyncio.to_thread(verify_secret, stored_hash, secret)


def password_problems(password: str, field: str = "body.new_password") -> list[Problem]:
    """The password policy: at least ten characters, with letters and digits."""
    found = []
    if len(password) < MIN_PASSWORD_LENGTH:
        found.append(
            Problem(field, "password_too_short", f"密码至少 {MIN_PASSWORD_LENGTH} 个字符", f"at least {MIN_PASSWORD_LENGTH} characters")
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        found.append(
            Problem(field, "password_too_long", f"密码最多 {MAX_PASSWORD_LENGTH} 个字符", f"at most {MAX_PASSWORD_LENGTH} characters")
        )
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        found.append(Problem(field, "password_letters_and_digits", "密码须同时包含字母和数字", "must contain both letters and digits"))
    return found


def generate_password() -> str:
    """A random password that meets the policy (never a default one)."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if not password_problems(candidate) and any(c in string.ascii_letters for c in candidate):
            return candidate


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
