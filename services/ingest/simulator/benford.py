"""Payment amounts whose first digits follow Benford's law closely, or deliberately do not.

Drawing amounts at random would not do: with 300 records (the detector's
minimum) sampling noise alone gives a mean absolute deviation near 0.013,
next to the 0.015 threshold. Amounts here are log-uniform over four whole
decades but taken from a Weyl sequence (k·φ mod 1), which fills the decades
evenly, so any run of a few hundred amounts conforms with a MAD near 0.002.
"""

from __future__ import annotations

import math

GOLDEN = (math.sqrt(5) - 1) / 2
# Four decades: 10 元 up to (not including) 100,000 元, just under the 三重一大 amount.
LOWEST_YUAN = 10
DECADES = 4
# A school cooking its books writes amounts just under round approval limits: 4x,xxx and 9,xxx.
SKEWED_LEADS = (4, 9, 4, 9, 1, 2, 3, 4, 9, 5)


def conforming_fen(index: int, offset: float) -> int:
    """The ``index``-th amount of a school's sequence (``offset`` tells schools apart), in fen."""
    position = (index * GOLDEN + offset) % 1.0
    return max(LOWEST_YUAN * 100, round(LOWEST_YUAN * 10 ** (DECADES * position) * 100))


def skewed_fen(index: int, offset: float) -> int:
    """An amount whose first digit is drawn from SKEWED_LEADS: the MAD is far above 0.015."""
    lead = SKEWED_LEADS[index % len(SKEWED_LEADS)]
    position = (index * GOLDEN + offset) % 1.0
    decade = 1 + int(position * 3)  # 100 元 to 99,999 元
    mantissa = lead + ((index * GOLDEN * 7 + offset) % 1.0)
    return round(mantissa * 10**decade * 100)


def first_digit_mad(amounts_fen: list[int]) -> float:
    """Nigrini's first-digit mean absolute deviation from Benford's proportions."""
    counts = [0] * 10
    for amount in amounts_fen:
        counts[int(str(amount)[0])] += 1
    total = len(amounts_fen)
    return sum(abs(counts[d] / total - math.log10(1 + 1 / d)) for d in range(1, 10)) / 9
