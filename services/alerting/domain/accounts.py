"""Credentials and the personal-data access log, as plain records.

API tokens and session ids are random secrets shown to their holder once; only
their sha256 is stored, so a copy of the database cannot be used to log in.
(A plain hash suffices for 256-bit random secrets; passwords, which people
choose, get argon2 instead.)
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime

TOKEN_PREFIX = "qlt_"


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: str
    user_id: str
    name: str
    digest: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class LoginSession:
    digest: str
    user_id: str
    created_at: datetime
    expires_at: datetime

    def is_valid(self, now: datetime) -> bool:
        return now < self.expires_at


class ReadChannel(enum.Enum):
    CONSOLE = "console"
    API = "api"


@dataclass(frozen=True, slots=True)
class CaseRead:
    """One look at a case's personal data (its evidence and history): who, when, which case, how."""

    username: str
    case_id: str
    at: datetime
    channel: ReadChannel
    view: str
