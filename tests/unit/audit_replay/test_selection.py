"""What the auditor selects: topics, rules and schools, and which alerts a comparison covers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from qinglian.topics import DOMAINS
from services.detectors.audit_replay.errors import ReplayRequestError
from services.detectors.audit_replay.selection import (
    AuditScope,
    rule_domains,
    select_domains,
    select_rules,
    select_schools,
)
from services.detectors.audit_replay.timerange import AuditRange
from services.detectors.core.config import load_rule_set
from services.detectors.core.eventtime import CHINA_TZ
from tests.unit.audit_replay.alerts import alert

TOPICS = {domain: f"qinglian.raw.{domain}" for domain in DOMAINS}


class TestSelectDomains:
    def test_every_domain_by_default(self) -> None:
        assert select_domains([], TOPICS) == DOMAINS

    def test_domains_or_topic_names_in_any_order_and_comma_lists(self) -> None:
        assert select_domains(["finance", "qinglian.raw.canteen,procurement"], TOPICS) == (
            "canteen",
            "procurement",
            "finance",
        )

    def test_an_unknown_topic_lists_the_valid_ones(self) -> None:
        with pytest.raises(
            ReplayRequestError, match="--topic 'qinglian.alerts'.*canteen, procurement"
        ):
            select_domains(["qinglian.alerts"], TOPICS)


class TestSelectRules:
    def test_every_rule_when_every_topic_is_read_and_the_hash_names_the_whole_configuration(
        self,
    ) -> None:
        live = load_rule_set()
        selected = select_rules(live, [], DOMAINS)
        assert [c.rule_id for c in selected.rules] == [c.rule_id for c in live.rules]
        assert selected.config_hash == live.config_hash

    def test_reading_some_topics_keeps_only_the_rules_they_feed(self) -> None:
        selected = select_rules(load_rule_set(), [], ["canteen"])
        assert {"C6", "C7", "C_PRICE"} <= {c.rule_id for c in selected.rules}
        assert all(rule_domains(c) == {"canteen"} for c in selected.rules)
        assert "C_MEALS" not in {c.rule_id for c in selected.rules}  # also needs enrollment rosters

    def test_named_rules_in_any_case(self) -> None:
        selected = select_rules(load_rule_set(), ["p4", "C6,c7"], DOMAINS)
        assert [c.rule_id for c in selected.rules] == ["C6", "C7", "P4"]

    def test_a_rule_whose_inputs_are_not_read_says_which_topic_to_add(self) -> None:
        with pytest.raises(ReplayRequestError, match="--rule C_MEALS.*add --topic enrollment"):
            select_rules(load_rule_set(), ["C_MEALS"], ["canteen"])

    def test_an_unknown_rule_lists_the_known_ones(self) -> None:
        with pytest.raises(
            ReplayRequestError, match="--rule NOPE: .*unknown rule; known rules: C1, C2"
        ):
            select_rules(load_rule_set(), ["nope"], DOMAINS)


class TestAuditScope:
    audit_range = AuditRange(
        datetime(2026, 9, 1, tzinfo=CHINA_TZ),
        datetime(2026, 9, 11, tzinfo=CHINA_TZ),
        warmup=timedelta(days=31),
    )

    def test_covers_alerts_of_the_selected_rules_and_schools_inside_the_range(self) -> None:
        scope = AuditScope(
            self.audit_range, frozenset({"P4"}), select_schools(["500102101, 500102102"])
        )
        assert scope.covers(alert(school_id="500102102"))
        assert not scope.covers(alert(rule_id="C7"))
        assert not scope.covers(alert(school_id="500102103"))
        assert not scope.covers(alert(event_time="2026-08-31T23:59:59+08:00"))
        assert not scope.covers(alert(event_time="2026-09-11T00:00:00+08:00"))

    def test_every_school_when_none_is_named(self) -> None:
        assert AuditScope(self.audit_range, frozenset({"P4"})).covers(alert(school_id="500102999"))
