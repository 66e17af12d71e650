"""Password hashing with argon2id (argon2-cffi), behind the ``PasswordHasher`` port."""

from __future__ import annotations

import argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    """argon2-cffi's RFC 9106 low-memory profile by default; tests pass cheaper parameters."""

    def __init__(self, hasher: argon2.PasswordHasher | None = None) -> None:
        self._hasher = hasher or argon2.PasswordHasher()

    @classmethod
    def for_tests(cls) -> Argon2Hasher:
        """Real argon2id, cheap enough to hash many passwords per second (never for production)."""
        return cls(argon2.PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
