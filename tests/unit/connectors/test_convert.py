"""Converters between source values and contract values, both ways."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from services.ingest.connectors.domain.convert import ConversionError, converter, json_safe

ZONE = ZoneInfo("Asia/Shanghai")


def forward(name: str, value: object, **options: object) -> object:
    return converter(name, zone=ZONE, **options).forward(value)  # type: ignore[arg-type]


def inverse(name: str, value: object, **options: object) -> object:
    return converter(name, zone=ZONE, **options).inverse(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "source", "contract"),
    [
        ("text", 500102001, "500102001"),
        ("text", 500102001.0, "500102001"),
        ("text", " JF-01 ", "JF-01"),
        ("integer", "90", 90),
        ("integer", 90.0, 90),
        ("integer", Decimal(90), 90),
        ("yuan_to_fen", "720.00", 72000),
        ("yuan_to_fen", "1,317.40", 131740),
        ("yuan_to_fen", Decimal("0.1"), 10),
        ("yuan_to_fen", 0.29, 29),  # a float read as its shortest repr, never 28.999…
        ("decimal", Decimal("35.50"), "35.5"),
        ("decimal", "60.000", "60"),
        ("decimal", 12.25, "12.25"),
        ("local_time", "2024-09-02 15:20:00", "2024-09-02T15:20:00+08:00"),
        ("local_time", "2024/09/02 15:20", "2024-09-02T15:20:00+08:00"),
        ("local_time", datetime(2024, 9, 2, 15, 20), "2024-09-02T15:20:00+08:00"),
        ("local_time", "2024-09-02T07:20:00Z", "2024-09-02T15:20:00+08:00"),
        ("local_time", datetime(2024, 9, 2, 15, 20, 0, 500000), "2024-09-02T15:20:00.500000+08:00"),
        ("date", "2024/09/03", "2024-09-03"),
        ("date", datetime(2024, 9, 3, 6, 30), "2024-09-03"),
        ("date", date(2024, 9, 3), "2024-09-03"),
        ("date", "2024-09-02T20:00:00Z", "2024-09-03"),  # the local date, not the UTC one
        ("boolean", "是", True),
        ("boolean", "N", False),
        ("boolean", 1, True),
        ("json", '[{"line_no": 1}]', [{"line_no": 1}]),
        ("json", [1, 2], [1, 2]),
    ],
)
def test_forward(name: str, source: object, contract: object) -> None:
    assert forward(name, source) == contract


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("integer", "90.5"),
        ("integer", "ninety"),
        ("yuan_to_fen", "12.345"),
        ("yuan_to_fen", "abc"),
        ("yuan_to_fen", True),
        ("yuan_to_fen", "NaN"),
        ("local_time", "yesterday"),
        ("local_time", date(2024, 9, 3)),
        ("date", "03/09/2024"),
        ("boolean", "maybe"),
        ("json", "{not json"),
    ],
)
def test_forward_refuses(name: str, source: object) -> None:
    with pytest.raises(ConversionError):
        forward(name, source)


def test_codes_both_ways() -> None:
    codes = {"01": "wechat", "02": "alipay"}
    assert forward("codes", 1.0, codes={"1": "wechat"}) == "wechat", (
        "an XLSX number cell matches its code"
    )
    assert forward("codes", "02", codes=codes) == "alipay"
    assert inverse("codes", "wechat", codes=codes) == "01"
    with pytest.raises(ConversionError, match="unknown code"):
        forward("codes", "09", codes=codes)


def test_codes_table_must_be_reversible() -> None:
    with pytest.raises(ValueError, match="different value"):
        converter("codes", zone=ZONE, codes={"01": "wechat", "11": "wechat"})


def test_split_both_ways() -> None:
    assert forward("split", "G1; G2;;G3", separator=";") == ["G1", "G2", "G3"]
    assert inverse("split", ["G1", "G2"], separator=";") == "G1;G2"


@pytest.mark.parametrize(
    ("name", "contract", "source"),
    [
        ("yuan_to_fen", 131740, Decimal("1317.40")),
        ("yuan_to_fen", 5, Decimal("0.05")),
        ("local_time", "2024-09-02T15:20:00+08:00", datetime(2024, 9, 2, 15, 20)),
        ("local_time", "2024-09-02T07:20:00+00:00", datetime(2024, 9, 2, 15, 20)),
        ("date", "2024-09-03", date(2024, 9, 3)),
        ("decimal", "35.5", Decimal("35.5")),
        ("json", [{"a": "菜"}], '[{"a":"菜"}]'),
    ],
)
def test_inverse(name: str, contract: object, source: object) -> None:
    assert inverse(name, contract) == source
    assert forward(name, source) == (
        contract if name != "local_time" else "2024-09-02T15:20:00+08:00"
    )


def test_unknown_converter_names_the_choices() -> None:
    with pytest.raises(ValueError, match="yuan_to_fen"):
        converter("yuan", zone=ZONE)


def test_json_safe_keeps_raw_values_serializable() -> None:
    assert json_safe(Decimal("12.345")) == "12.345"
    assert json_safe(datetime(2024, 9, 2, 15, 20)) == "2024-09-02T15:20:00"
    assert json_safe(b"\xe9") == "\ufffd"
