"""The machinery OCP Cardinal's indicators share, reproduced in plain Python.

Cardinal (open-contracting/cardinal-rs) reads OCDS compiled releases, folds each
contracting process into an accumulator and computes the population-based
indicators when it finalizes. This module holds what its indicators share: the
accumulator with its result groups and ``Meta``, the quartiles (Hyndman–Fan
type 8, as ``statrs`` and ``numpy.quantile(method="median_unbiased")``), the
Tukey fences computed with a fused multiply-add like Rust's ``mul_add``, the
OCDS accessors with Cardinal's exact notion of "submitted" and "valid" bids and
of final awards, the second-lowest-bid ratio used by R024 and R058, and the parts
that pairs of indicators share (R024/R058, R028/R036).

Accessors follow Cardinal's pattern matching strictly: a field of the wrong JSON
type counts as absent, JSON integers and floats are both numbers, booleans are not.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Protocol, Self

OCID_GROUP = "OCID"
TENDERER_GROUP = "Tenderer"
BUYER_GROUP = "Buyer"
PROCURING_ENTITY_GROUP = "ProcuringEntity"
GROUP_ORDER = (OCID_GROUP, TENDERER_GROUP, BUYER_GROUP, PROCURING_ENTITY_GROUP)
NOT_SUBMITTED = ("invited", "withdrawn")

Release = Mapping[str, Any]


@dataclass
class Accumulator:
    """Cardinal's ``Indicators`` struct: results per group, ``Meta`` per indicator, shared intermediates."""

    currency: str | None = None
    results: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    meta: dict[str, dict[str, float]] = field(default_factory=dict)
    second_lowest_bid_ratios: dict[str, float] = field(default_factory=dict)
    winner_and_lowest_non_winner: dict[str, tuple[str, str]] = field(default_factory=dict)

    def set_result(self, group: str, key: str, code: str, value: float) -> None:
        self.results.setdefault(group, {}).setdefault(key, {})[code] = value

    def set_meta(self, code: str, key: str, value: float) -> None:
        self.meta.setdefault(code, {})[key] = value

    def accepts_currency(self, currency: str, configured: str | None) -> bool:
        """The main currency is the configured one, else the first one observed; others are skipped."""
        if self.currency is None:
            self.currency = configured if configured is not None else currency
        return currency == self.currency

    def output(self, *, meta: bool) -> dict[str, Any]:
        result: dict[str, Any] = {
            group: {
                key: {code: json_float(v) for code, v in values.items()}
                for key, values in self.results[group].items()
            }
            for group in GROUP_ORDER
            if self.results.get(group)
        }
        if meta:
            result["Meta"] = {
                code: {key: json_float(round_meta(value)) for key, value in values.items()}
                for code, values in self.meta.items()
            }
        return result


class Indicator(Protocol):
    code: str

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None: ...

    def finalize(self, acc: Accumulator) -> None: ...


@dataclass(frozen=True)
class CardinalSettings:
    """The global part of Cardinal's settings file plus the sections of the enabled indicators."""

    currency: str | None = None
    no_price_comparison_procurement_methods: frozenset[str] = frozenset()
    price_comparison_procurement_methods: frozenset[str] = frozenset()
    excluded_procurement_method_details: frozenset[str] = frozenset()
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


# Statistics.


def quantile(values: Iterable[float], tau: float) -> float:
    """statrs ``OrderStatistics::quantile``: Hyndman–Fan type 8; NaN for no data."""
    data = sorted(values)
    if not 0.0 <= tau <= 1.0 or not data:
        return math.nan
    n = len(data)
    h = (n + 1.0 / 3.0) * tau + 1.0 / 3.0
    whole = int(h)
    if whole <= 0 or tau == 0.0:
        return data[0]
    if whole >= n or tau == 1.0:
        return data[-1]
    below, above = data[whole - 1], data[whole]
    return below + (h - whole) * (above - below)


def mul_add(x: float, y: float, z: float) -> float:
    """Rust's ``f64::mul_add``: x·y + z rounded once."""
    if not all(math.isfinite(v) for v in (x, y, z)):
        return x * y + z
    return float(Fraction(x) * Fraction(y) + Fraction(z))


def quartiles(values: Iterable[float]) -> tuple[float, float]:
    data = list(values)
    return quantile(data, 0.25), quantile(data, 0.75)


def lower_fence(q1: float, q3: float) -> float:
    return mul_add(q3 - q1, -1.5, q1)


def upper_fence(q1: float, q3: float) -> float:
    return mul_add(q3 - q1, 1.5, q3)


def quartile_fence(
    acc: Accumulator,
    code: str,
    values: Iterable[float],
    threshold: float | None,
    tukey_fence: Callable[[float, float], float],
    *,
    meta_prefix: str = "",
) -> tuple[float | None, float]:
    """(Q1, fence) that a population indicator flags against.

    Without ``threshold``: ``tukey_fence`` of the values' quartiles, with Q1 and Q3 recorded in
    the indicator's Meta. With it: the threshold replaces the fence and Q1 is None, so no quartile
    guard applies. The caller records the fence in Meta under its own name, after any entry that
    must precede it (R025's percentile).
    """
    if threshold is not None:
        return None, float(threshold)
    q1, q3 = quartiles(values)
    acc.set_meta(code, f"{meta_prefix}q1", q1)
    acc.set_meta(code, f"{meta_prefix}q3", q3)
    return q1, tukey_fence(q1, q3)


# OCDS accessors.


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def obj(value: Any, key: str) -> Any:
    return value.get(key) if isinstance(value, Mapping) else None


def text(value: Any, key: str) -> str | None:
    found = obj(value, key)
    return found if isinstance(found, str) else None


def array(value: Any, key: str) -> list[Any] | None:
    found = obj(value, key)
    return found if isinstance(found, list) else None


def mapping(value: Any, key: str) -> Mapping[str, Any] | None:
    found = obj(value, key)
    return found if isinstance(found, Mapping) else None


def parse_pipe_separated(value: str | None) -> frozenset[str]:
    """Rust's ``split_terminator('|')``: a trailing separator adds no empty item."""
    parts = (value or "").split("|")
    if parts and parts[-1] == "":
        parts.pop()
    return frozenset(parts)


def bid_details(release: Release) -> list[Any] | None:
    return array(mapping(release, "bids"), "details")


def submitted_bids(release: Release) -> list[Mapping[str, Any]]:
    """Pending, valid and disqualified bids: any status except invited and withdrawn."""
    return [
        bid
        for bid in bid_details(release) or []
        if (status := text(bid, "status")) is not None and status not in NOT_SUBMITTED
    ]


def complete_awards_if_all_final(
    release: Release,
) -> tuple[list[Mapping[str, Any]], list[Any]] | None:
    """Active awards and the bids, unless an award is still pending; awards without a status are ignored."""
    awards = array(release, "awards")
    details = bid_details(release)
    if awards is None or details is None:
        return None
    complete = []
    for award in awards:
        status = text(award, "status")
        if status == "active":
            complete.append(award)
        elif status is not None and status not in ("cancelled", "unsuccessful"):
            return None
    return complete, details


def sole_supplier_and_bids(release: Release) -> tuple[str, list[Any]] | None:
    """The supplier of the process's one active award, and the bids: only when all awards are
    final and exactly one is active, with exactly one supplier (R024, R025, R058)."""
    final = complete_awards_if_all_final(release)
    if final is None or len(final[0]) != 1:
        return None
    suppliers = array(final[0][0], "suppliers")
    if suppliers is None or len(suppliers) != 1:
        return None
    supplier_id = text(suppliers[0], "id")
    return None if supplier_id is None else (supplier_id, final[1])


def valid_priced_bids(details: list[Any]) -> list[tuple[str, float, str]]:
    """(tenderer id, amount, currency) of valid bids with a value and exactly one tenderer."""
    tuples = []
    for bid in details:
        value = mapping(bid, "value")
        amount = obj(value, "amount")
        currency = text(value, "currency")
        tenderers = array(bid, "tenderers")
        if (
            text(bid, "status") == "valid"
            and is_number(amount)
            and currency is not None
            and tenderers is not None
            and len(tenderers) == 1
            and (tenderer_id := text(tenderers[0], "id")) is not None
        ):
            tuples.append((tenderer_id, float(amount), currency))
    return tuples


def matches_procurement_method(tender: Any, methods: frozenset[str]) -> bool:
    if not methods:
        return True
    method = text(tender, "procurementMethod")
    return method is not None and method in methods


def matches_procurement_method_details(
    release: Release, include: frozenset[str], exclude: frozenset[str]
) -> bool:
    """An allow list works only if non-empty; a deny list works even if empty; no field matches only a deny list."""
    details = text(mapping(release, "tender"), "procurementMethodDetails")
    if details is None:
        return not include
    if not include:
        return details not in exclude
    return details in include


def compares_prices(release: Release, settings: CardinalSettings) -> bool:
    return matches_procurement_method_details(
        release,
        settings.price_comparison_procurement_methods,
        settings.no_price_comparison_procurement_methods,
    )


def compared_bid_prices(
    release: Release, settings: CardinalSettings
) -> list[tuple[Mapping[str, Any], int | float, str]]:
    """(bid, amount, currency) of the submitted bids with a numeric amount and a currency, in a
    process whose method detail compares prices; none otherwise (R028, R036).

    The amount is returned as parsed (an int or a float).
    """
    if not compares_prices(release, settings):
        return []
    priced = []
    for bid in submitted_bids(release):
        value = mapping(bid, "value")
        amount, currency = obj(value, "amount"), text(value, "currency")
        if is_number(amount) and currency is not None:
            priced.append((bid, amount, currency))
    return priced


def is_cancelled(release: Release) -> bool:
    return text(mapping(release, "tender"), "status") == "cancelled"


class SecondLowestBidRatio:
    """(second-lowest valid bid − winning bid) / winning bid per process: the input of R024 and R058.

    Only processes whose awards are final, with one active award to one supplier,
    whose lowest bid won (otherwise the award criteria were not price only).
    """

    code = "SecondLowestBidRatio"

    def __init__(self, settings: CardinalSettings) -> None:
        self.settings = settings

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        if not compares_prices(release, self.settings):
            return
        awarded = sole_supplier_and_bids(release)
        if awarded is None:
            return
        supplier_id, details = awarded
        winner: tuple[str, float] | None = None
        runner_up: tuple[str, float] | None = None
        for tenderer_id, amount, currency in valid_priced_bids(details):
            if not acc.accepts_currency(currency, self.settings.currency):
                continue
            if supplier_id == tenderer_id:
                if winner is None or amount < winner[1]:
                    winner = (tenderer_id, amount)
            elif runner_up is None or amount < runner_up[1]:
                runner_up = (tenderer_id, amount)
        if winner is not None and runner_up is not None and runner_up[1] >= winner[1]:
            acc.second_lowest_bid_ratios[ocid] = _divide(runner_up[1] - winner[1], winner[1])
            acc.winner_and_lowest_non_winner[ocid] = (winner[0], runner_up[0])

    def finalize(self, acc: Accumulator) -> None:
        return None


def _divide(numerator: float, denominator: float) -> float:
    if denominator == 0.0:
        return math.nan if numerator == 0.0 else math.inf
    return numerator / denominator


@dataclass
class SecondLowestBidRatioOutliers:
    """What R024 and R058 share: ``threshold`` is their only setting, and they fold nothing,
    because :class:`SecondLowestBidRatio` folds the ratios they flag when they finalize."""

    threshold: float | None = None
    code: str = ""

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Self:
        return cls(section_number(section, cls.code, "threshold", float))

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        return None


@dataclass
class PriceComparisonIndicator:
    """What R028 and R036 share: no section settings, only the global ones (which methods
    compare prices, the main currency), read through :func:`compared_bid_prices`."""

    settings: CardinalSettings = field(default_factory=CardinalSettings)
    code: str = ""

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Self:
        return cls(settings)


def price_comparison_settings(params: Any, currency: str | None = None) -> CardinalSettings:
    """The global settings a price-comparing indicator reads, from a streaming rule's
    ``no_price_comparison_procurement_methods`` and ``price_comparison_procurement_methods``."""
    return CardinalSettings(
        currency=currency,
        no_price_comparison_procurement_methods=frozenset(
            params.no_price_comparison_procurement_methods
        ),
        price_comparison_procurement_methods=frozenset(params.price_comparison_procurement_methods),
    )


def round_meta(value: float) -> float:
    """Cardinal rounds Meta values with ``(v * 10_000.0).round() / 10_000.0`` (half away from zero)."""
    if not math.isfinite(value):
        return value
    scaled = Decimal(value * 10_000.0).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return float(scaled) / 10_000.0


def json_float(value: float) -> float | None:
    """serde_json writes non-finite floats as null."""
    return value if math.isfinite(value) else None


# Settings sections.


def or_default(value: Any, default: Any) -> Any:
    return default if value is None else value


def section_number(section: Mapping[str, str], code: str, key: str, kind: type) -> Any:
    """An optional number from an INI section, typed like Cardinal's settings struct (usize, i64, f64)."""
    raw = section.get(key)
    if raw is None:
        return None
    try:
        value = kind(raw.strip())
    except ValueError as exc:
        raise ValueError(
            f"[{code}] {key} = {raw!r} is not a {'number' if kind is float else 'whole number'}"
        ) from exc
    if kind is int and value < 0 and key != "threshold":
        raise ValueError(f"[{code}] {key} = {raw!r} must not be negative")
    return value
