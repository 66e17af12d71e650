"""The policy and leaders files: what they set, and one-line errors for mistakes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from services.alerting.adapters.leaders import load_leaders_file
from services.alerting.adapters.policy_file import load_policy
from services.alerting.domain.alerts import Severity
from services.alerting.domain.escalation import Audience, EscalationLevel
from services.alerting.domain.grouping import Recurrence
from services.alerting.domain.policy import AlertingPolicy
from services.alerting.domain.workflow import CaseState
from services.alerting.errors import InvalidPolicy

PRINCIPAL = "pn:" + "1" * 32


def test_without_a_file_the_defaults_apply() -> None:
    policy = load_policy(None, timezone="Asia/Shanghai")
    defaults = AlertingPolicy()
    assert (policy.grouping, policy.escalation) == (defaults.grouping, defaults.escalation)
    assert policy.deadlines.stage_working_days == defaults.deadlines.stage_working_days


def test_a_policy_file_overrides_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(
        """
[grouping]
window_days = 14
recurrence = "link"

[deadlines]
investigating = { red = 3, orange = 6, yellow = 9 }

[escalation]
repeat_every_hours = 12
levels = [
  { role = "discipline_team", audience = "district", after_overdue_hours = 24 },
  { role = "supervisor", audience = "school", after_overdue_hours = 0 },
]
""",
        encoding="utf-8",
    )
    policy = load_policy(path, timezone="Asia/Urumqi")
    assert (policy.grouping.window, policy.grouping.recurrence) == (
        timedelta(days=14),
        Recurrence.LINK,
    )
    assert policy.deadlines.working_days(CaseState.INVESTIGATING, Severity.ORANGE) == 6
    assert policy.deadlines.working_days(CaseState.NEW, Severity.RED) == 1, (
        "unnamed stages keep their default"
    )
    assert str(policy.deadlines.timezone) == "Asia/Urumqi"
    assert policy.escalation.repeat_every == timedelta(hours=12)
    assert policy.escalation.levels == (
        EscalationLevel("supervisor", Audience.SCHOOL, timedelta(0)),
        EscalationLevel("discipline_team", Audience.DISTRICT, timedelta(hours=24)),
    ), "levels are ordered by when they start"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[grouping]\nwindow_dayz = 3\n", "grouping.window_dayz"),
        ("[deadlines]\nclosed = { red = 1, orange = 1, yellow = 1 }\n", "deadlines.closed"),
        ("[grouping]\nrecurrence = 'merge'\n", "grouping.recurrence"),
        ("[grouping\n", "cannot read"),
    ],
)
def test_a_mistake_in_the_policy_file_is_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidPolicy, match=message):
        load_policy(path, timezone="Asia/Shanghai")


def test_the_leaders_file_maps_each_schools_leaders(tmp_path: Path) -> None:
    path = tmp_path / "leaders.yaml"
    path.write_text(f'"500102001":\n  principal: {PRINCIPAL}\n', encoding="utf-8")
    leaders = load_leaders_file(path)
    assert dict(leaders.leaders_of("500102001")) == {PRINCIPAL: "principal"}
    assert dict(leaders.leaders_of("500102002")) == {}


def test_the_leaders_file_refuses_clear_identifiers(tmp_path: Path) -> None:
    path = tmp_path / "leaders.yaml"
    path.write_text('"500102001":\n  principal: 张三\n', encoding="utf-8")
    with pytest.raises(InvalidPolicy, match="pseudonym"):
        load_leaders_file(path)
