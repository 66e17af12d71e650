"""Clear person identifiers as school systems send them: ID numbers, names, phone numbers.

ID numbers are GB 11643 resident identity numbers with a valid check digit. They
are derived, not drawn: a student's place in the district (school, birth year,
position) maps one-to-one onto (region, birthday, sequence), so two students can
never share a number by chance. A shared number is always an injected anomaly.
"""

from __future__ import annotations

import functools
import random
from datetime import date, timedelta

CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
BIRTH_REGIONS = (  # 涪陵 first: most pupils are born where they go to school
    "500102", "500101", "500103", "500104", "500105", "500106", "500107", "500108", "500109", "500110",
    "500111", "500112", "500113", "500114", "500115", "500116", "500117", "500118", "500119", "500120",
    "500151", "500152", "500153", "500154", "500155", "500156", "500229", "500230", "500231", "500233",
    "500235", "500236", "500237", "500238", "500240", "500241", "500242", "500243",
)  # fmt: skip
SLOTS_PER_REGION = 365 * 1000  # birthday × three-digit sequence
_SCRAMBLE = 100_003  # coprime with SLOTS_PER_REGION, so the scramble is a bijection
PER_SCHOOL_COHORT = 1000
"""Cohort positions reserved per school; with 38 regions this covers 13,870 schools."""

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤冉"
GIVEN_MALE = "伟强磊军洋勇杰涛明超辉鹏浩宇轩晨博文俊凯豪睿泽翔宁帅鑫亮林波斌"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞婷雪慧颖琳欣怡佳悦萱涵蕾倩璐莹婉晴梦瑶琪思雨"
MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "177",
    "180",
    "187",
    "189",
    "199",
)


def check_character(body: str) -> str:
    return CHECK_CHARACTERS[_weighted(body, 0) % 11]


def resident_id(region: str, birthday: date, sequence: int) -> str:
    """An 18-character ID number; an odd ``sequence`` is a man, an even one a woman."""
    born, serial = f"{birthday:%Y%m%d}", f"{sequence:03d}"
    # The weighted digit sum is split by field and cached: millions of pupils share few regions and birthdays.
    total = _weighted(region, 0) + _weighted(born, 6) + _weighted(serial, 14)
    return f"{region}{born}{serial}{CHECK_CHARACTERS[total % 11]}"


@functools.lru_cache(maxsize=65_536)
def _weighted(digits: str, first: int) -> int:
    return sum(
        int(digit) * weight for digit, weight in zip(digits, CHECK_WEIGHTS[first:], strict=False)
    )


def cohort_id_number(school_index: int, position: int, birth_year: int) -> str:
    """The ID number of the ``position``-th child born in ``birth_year`` at school ``school_index``."""
    slot = school_index * PER_SCHOOL_COHORT + position
    region, within = divmod(slot, SLOTS_PER_REGION)
    scrambled = within * _SCRAMBLE % SLOTS_PER_REGION
    day, sequence = scrambled % 365, scrambled // 365
    return resident_id(
        BIRTH_REGIONS[region], date(birth_year, 1, 1) + timedelta(days=day), sequence
    )


def is_male(id_number: str) -> bool:
    return int(id_number[16]) % 2 == 1


def person_name(rng: random.Random, *, male: bool, surname: str | None = None) -> str:
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    given = _pick(rng, pool) + (_pick(rng, pool) if rng.random() < 2 / 3 else "")
    return (surname or _pick(rng, SURNAMES)) + given


def mobile(rng: random.Random) -> str:
    return _pick(rng, MOBILE_PREFIXES) + f"{int(rng.random() * 10**8):08d}"


def _pick(rng: random.Random, pool: str | tuple[str, ...]) -> str:
    """``rng.choice`` without its bounds machinery: names are made millions of times."""
    return pool[int(rng.random() * len(pool))]
