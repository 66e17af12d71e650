"""The alerts contract's enums (generated from its schema) and what alerting adds to them: a widened
enum fails here until every value has its rank and labels, instead of failing on a live alert."""

from __future__ import annotations

import pytest

from contracts import types
from services.alerting.domain import alerts
from services.alerting.domain.alerts import SEVERITY_ZH, RiskArea, Severity, severity_rank
from services.alerting.entrypoints.web.i18n import Language, translator


def test_the_service_uses_the_contracts_enums() -> None:
    assert (alerts.Severity, alerts.RiskArea, alerts.SubjectKind) == (
        types.Severity,
        types.RiskArea,
        types.SubjectKind,
    )


def test_severities_rank_red_first() -> None:
    assert sorted(Severity, key=severity_rank) == [Severity.RED, Severity.ORANGE, Severity.YELLOW]
    assert SEVERITY_ZH == {Severity.RED: "红", Severity.ORANGE: "橙", Severity.YELLOW: "黄"}


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("value", [*Severity, *RiskArea])
def test_every_value_has_a_label_in_both_languages(
    value: Severity | RiskArea, language: Language
) -> None:
    assert translator(language)(value)
