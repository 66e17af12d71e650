"""OCP Cardinal's indicators in batch, over OCDS compiled releases (JSON lines).

    qinglian rules ocds releases.jsonl [--settings settings.ini] [--no-meta]

Prints one JSON object in Cardinal's output shape::

    {"OCID": {ocid: {code: value}}, "Tenderer": {...}, "Buyer": {...},
     "ProcuringEntity": {...}, "Meta": {code: {"q1": ..., "q3": ..., ...}}}

The settings file is Cardinal's INI file (``ocdscardinal init``): global keys
``currency``, ``no_price_comparison_procurement_methods``,
``price_comparison_procurement_methods``, an ``[exclusions]`` section and one
section per indicator; as in Cardinal, only the indicators with a section run.
Deliberate deviation: without ``--settings`` every indicator runs with its
defaults (the file ``ocdscardinal init`` writes), instead of none. Invalid JSON
lines are reported and skipped; blank lines are skipped silently. Processes are
excluded when ``ocid`` is not a string, ``tender.status`` is cancelled or
``tender.procurementMethodDetails`` is in ``[exclusions] procurement_method_details``.
"""

from __future__ import annotations

import configparser
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from services.detectors.errors import OcdsInputError
from services.detectors.rules.catalogue import OCDS_MODULES
from services.detectors.rules.ocds.cardinal import (
    Accumulator,
    CardinalSettings,
    Indicator,
    SecondLowestBidRatio,
    is_cancelled,
    matches_procurement_method_details,
    parse_pipe_separated,
)

INDICATORS = {module.CODE: module.Indicator for module in OCDS_MODULES}
SECTION_KEYS = {
    "R003": {"threshold", "procurement_methods"},
    "R018": {"procurement_methods"},
    "R024": {"threshold"},
    "R025": {"percentile", "threshold"},
    "R028": set(),
    "R030": set(),
    "R035": {"threshold"},
    "R036": set(),
    "R038": {"threshold", "minimum_submitted_bids", "minimum_contracting_processes"},
    "R048": {"digits", "threshold", "minimum_contracting_processes"},
    "R058": {"threshold"},
}
GLOBAL_KEYS = {
    "currency",
    "no_price_comparison_procurement_methods",
    "price_comparison_procurement_methods",
}
PREPARE_SECTIONS = {
    "defaults",
    "redactions",
    "corrections",
    "modifications",
    "codelists.bid_status",
    "codelists.award_status",
}
ROOT = "__root__"


def default_settings() -> CardinalSettings:
    """Every indicator with its defaults: what ``ocdscardinal init`` writes (all values commented)."""
    return CardinalSettings(sections={code: {} for code in INDICATORS})


def parse_settings(text: str, *, source: str = "settings") -> CardinalSettings:
    parser = configparser.ConfigParser(
        interpolation=None,
        delimiters=("=",),
        comment_prefixes=(";", "#"),
        inline_comment_prefixes=(";", "#"),
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive, as in Cardinal
    try:
        parser.read_string(f"[{ROOT}]\n{text}", source=source)
    except configparser.Error as exc:
        raise OcdsInputError(f"{source}: not a valid INI file: {str(exc).splitlines()[0]}") from exc
    root = dict(parser[ROOT])
    _refuse_unknown(source, ROOT, root, GLOBAL_KEYS)
    sections: dict[str, dict[str, Any]] = {}
    exclusions: dict[str, str] = {}
    for name in parser.sections():
        values = dict(parser[name])
        if name == ROOT or name in PREPARE_SECTIONS:
            continue
        if name == "exclusions":
            _refuse_unknown(source, name, values, {"procurement_method_details"})
            exclusions = values
        elif name == "R003.procurement_method_details":
            sections.setdefault("R003", {})["procurement_method_details"] = values
        elif name in SECTION_KEYS:
            _refuse_unknown(source, name, values, SECTION_KEYS[name])
            sections.setdefault(name, {}).update(values)
        else:
            raise OcdsInputError(
                f"{source}: unknown section [{name}]; known: {', '.join(SECTION_KEYS)}"
            )
    return CardinalSettings(
        currency=root.get("currency"),
        no_price_comparison_procurement_methods=parse_pipe_separated(
            root.get("no_price_comparison_procurement_methods")
        ),
        price_comparison_procurement_methods=parse_pipe_separated(
            root.get("price_comparison_procurement_methods")
        ),
        excluded_procurement_method_details=parse_pipe_separated(
            exclusions.get("procurement_method_details")
        ),
        sections=sections,
    )


def build_indicators(settings: CardinalSettings) -> list[Indicator]:
    """In Cardinal's order; the second-lowest-bid ratio first when R024 or R058 needs it."""
    indicators: list[Indicator] = []
    if "R024" in settings.sections or "R058" in settings.sections:
        indicators.append(SecondLowestBidRatio(settings))
    for code, indicator in INDICATORS.items():
        if code in settings.sections:
            try:
                indicators.append(indicator.from_settings(settings.sections[code], settings))
            except ValueError as exc:
                raise OcdsInputError(f"settings: {exc}") from exc
    return indicators


def run(
    lines: Iterable[str], settings: CardinalSettings, *, warn: Callable[[str], None]
) -> Accumulator:
    indicators = build_indicators(settings)
    acc = Accumulator()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            release = json.loads(line)
        except json.JSONDecodeError as exc:
            warn(f"Line {number} is invalid JSON, skipping. [{exc}]")
            continue
        if not _included(release, settings):
            continue
        for indicator in indicators:
            indicator.fold(acc, release, release["ocid"])
    for indicator in indicators:
        indicator.finalize(acc)
    return acc


def indicators_output(
    lines: Iterable[str], settings: CardinalSettings, *, meta: bool, warn: Callable[[str], None]
) -> str:
    return json.dumps(
        run(lines, settings, warn=warn).output(meta=meta), ensure_ascii=False, separators=(",", ":")
    )


def _included(release: Any, settings: CardinalSettings) -> bool:
    return (
        isinstance(release, Mapping)
        and isinstance(release.get("ocid"), str)
        and not is_cancelled(release)
        and matches_procurement_method_details(
            release, frozenset(), settings.excluded_procurement_method_details
        )
    )


def _refuse_unknown(
    source: str, section: str, values: Mapping[str, str], allowed: set[str]
) -> None:
    unknown = sorted(set(values) - allowed)
    if unknown:
        where = "top level" if section == ROOT else f"[{section}]"
        raise OcdsInputError(
            f"{source}: unknown key {unknown[0]!r} in {where}; allowed: {', '.join(sorted(allowed)) or '(none)'}"
        )
