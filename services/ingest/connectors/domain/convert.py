"""Converters between a source system's values and contract values, both ways.

``forward`` (source → contract) is what a connector applies to a row; ``inverse``
(contract → source) is what the source-side writers apply, so that a row written
from an event and pulled again gives back the same event.

    text          any scalar → string (an XLSX number cell 500102001 → "500102001")
    integer       "12", 12.0, Decimal("12") → 12
    yuan_to_fen   "1,317.40" / Decimal("1317.4") → 131740, exactly (Decimal; a third decimal is an error)
    decimal       Decimal("35.50") / 35.5 → "35.5" (the contracts' quantity strings)
    local_time    naive "2024-09-02 15:20:00" in the connector's time zone → "2024-09-02T15:20:00+08:00"
    date          "2024/09/03", datetime → "2024-09-03"
    boolean       是/否, Y/N, 1/0, true/false → bool
    codes         a source code → a contract value, through a table in the connectors file
    json          a JSON text column → object or list (e.g. order lines)
    split         "a;b;c" → ["a", "b", "c"]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

FEN_PER_YUAN = Decimal(100)
CENT = Decimal("0.01")
TRUE_WORDS = frozenset({"1", "true", "t", "y", "yes", "是"})
FALSE_WORDS = frozenset({"0", "false", "f", "n", "no", "否"})


class ConversionError(ValueError):
    """A source value does not convert; the mapper keeps the raw value so the contract names the field."""


@dataclass(frozen=True, slots=True)
class Converter:
    name: str
    forward: Callable[[object], object]
    inverse: Callable[[object], object]


def _identity(value: object) -> object:
    return value


def _decimal(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ConversionError("a boolean is not a number")
    text = str(value).strip().replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ConversionError(f"not a number: {text[:20]!r}") from exc
    if not number.is_finite():
        raise ConversionError("not a finite number")
    return number


def _text(value: object) -> str:
    whole_float = isinstance(value, float) and value.is_integer()
    whole_decimal = (
        isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()
    )
    if whole_float or whole_decimal:
        return str(int(value))  # type: ignore[arg-type]
    return str(value).strip()


def _integer(value: object) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise ConversionError("not a whole number")
    return int(number)


def _yuan_to_fen(value: object) -> int:
    fen = _decimal(value) * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise ConversionError("more than two decimals of yuan")
    return int(fen)


def _fen_to_yuan(value: object) -> Decimal:
    return (Decimal(_integer(value)) / FEN_PER_YUAN).quantize(CENT)


def _decimal_text(value: object) -> str:
    number = _decimal(value)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")


def _parse_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("/", "-"))
        except ValueError as exc:
            raise ConversionError("not a date-time") from exc
    raise ConversionError(f"not a date-time ({type(value).__name__})")


def _local_time(zone: ZoneInfo) -> Converter:
    def forward(value: object) -> str:
        moment = _parse_datetime(value)
        moment = moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)
        return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")

    def inverse(value: object) -> datetime:
        return _parse_datetime(value).astimezone(zone).replace(tzinfo=None)

    return Converter("local_time", forward, inverse)


def _date(zone: ZoneInfo) -> Converter:
    def forward(value: object) -> str:
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        moment = _parse_datetime(value)
        return (moment.astimezone(zone) if moment.tzinfo else moment).date().isoformat()

    def inverse(value: object) -> date:
        return date.fromisoformat(str(value))

    return Converter("date", forward, inverse)


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConversionError("not a yes/no value")


def _codes(table: Mapping[str, object]) -> Converter:
    reverse = {value: code for code, value in table.items()}
    if len(reverse) != len(table):
        raise ValueError(
            "a codes table must map each code to a different value, so it can be written back"
        )

    def forward(value: object) -> object:
        code = _text(value)
        if code not in table:
            raise ConversionError(f"unknown code {code[:20]!r}")
        return table[code]

    def inverse(value: object) -> object:
        if value not in reverse:
            raise ConversionError(f"no code for {value!r}")
        return reverse[value]

    return Converter("codes", forward, inverse)


def _json_value(value: object) -> object:
    if isinstance(value, list | dict):
        return value
    try:
        return json.loads(str(value))
    except json.JSONDecodeError as exc:
        raise ConversionError("not JSON") from exc


def _json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _split(separator: str) -> Converter:
    def forward(value: object) -> list[str]:
        return [part.strip() for part in str(value).split(separator) if part.strip()]

    def inverse(value: object) -> str:
        if not isinstance(value, list):
            raise ConversionError("not a list")
        return separator.join(str(part) for part in value)

    return Converter("split", forward, inverse)


SIMPLE = {
    "none": Converter("none", _identity, _identity),
    "text": Converter("text", _text, _identity),
    "integer": Converter("integer", _integer, _identity),
    "yuan_to_fen": Converter("yuan_to_fen", _yuan_to_fen, _fen_to_yuan),
    "decimal": Converter("decimal", _decimal_text, _decimal),
    "boolean": Converter("boolean", _boolean, _identity),
    "json": Converter("json", _json_value, _json_text),
}
NAMES = (*SIMPLE, "local_time", "date", "codes", "split")


def converter(
    name: str, *, zone: ZoneInfo, codes: Mapping[str, object] | None = None, separator: str = ";"
) -> Converter:
    """The named converter; raises ValueError naming the choices for an unknown name."""
    if name in SIMPLE:
        return SIMPLE[name]
    if name == "local_time":
        return _local_time(zone)
    if name == "date":
        return _date(zone)
    if name == "split":
        return _split(separator)
    if name == "codes":
        if not codes:
            raise ValueError("convert: codes needs a non-empty 'codes' table")
        return _codes({str(code): value for code, value in codes.items()})
    raise ValueError(f"unknown converter {name!r}; choose one of {', '.join(NAMES)}")


def json_safe(value: object) -> object:
    """A raw source value as JSON can carry it (kept when a conversion fails, for the contract to report)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
