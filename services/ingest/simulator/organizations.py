"""Unified social credit codes (统一社会信用代码, GB 32100) for schools, vendors and agencies."""

from __future__ import annotations

USCC_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ENTERPRISE = "91"  # 工商 · 企业
PUBLIC_INSTITUTION = "12"  # 事业单位 (public schools)


def credit_code(kind: str, region: str, serial: int) -> str:
    """An 18-character code with a valid check character; distinct serials give distinct codes."""
    body = f"{kind}{region}MA{serial:07d}"
    total = sum(
        USCC_CHARACTERS.index(character) * weight
        for character, weight in zip(body, USCC_WEIGHTS, strict=True)
    )
    return body + USCC_CHARACTERS[(31 - total % 31) % 31]
