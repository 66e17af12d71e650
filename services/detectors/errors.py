"""Errors raised by the detectors.

QinglianError
└── DetectorError                 base of every detector error
    ├── RulesConfigError          the rules file or a district override is invalid
    ├── UnknownRuleError          a rule id is not in the catalogue
    ├── RuleEvaluationError       a rule failed on one event (logged, counted; the other rules run)
    ├── StepQuarantinedError      a rule step skipped or ended: it hung a worker (its cause)
    ├── TimeTextError             a time given on the command line is not a time
    └── OcdsInputError            an OCDS settings file cannot be used
"""

from __future__ import annotations

from qinglian.errors import QinglianError


class DetectorError(QinglianError):
    pass


class RulesConfigError(DetectorError):
    pass


class UnknownRuleError(DetectorError):
    def __init__(self, rule_id: str, known: list[str]) -> None:
        super().__init__(f"未知规则 / unknown rule {rule_id!r}; known rules: {', '.join(known)}")
        self.rule_id = rule_id


class TimeTextError(DetectorError):
    pass


class RuleEvaluationError(DetectorError):
    def __init__(self, rule_id: str, event_id: str | None, cause: Exception) -> None:
        super().__init__(
            f"rule {rule_id} failed on event {event_id}: {type(cause).__name__}: {cause}"
        )
        self.rule_id = rule_id
        self.event_id = event_id
        self.cause = cause


class StepQuarantinedError(DetectorError):
    def __init__(self, label: str) -> None:
        super().__init__(
            f"已隔离，跳过 / skipped: the step {label} hung a detector worker and is quarantined "
            "(`qinglian detectors quarantine list`; a new version of the rule runs it again)"
        )
        self.label = label


class OcdsInputError(DetectorError):
    pass
