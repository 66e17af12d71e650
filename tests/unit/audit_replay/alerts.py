"""Alert contract objects for the comparison and report tests."""

from __future__ import annotations

from typing import Any


def alert(alert_id: str = "a1", **fields: Any) -> dict[str, Any]:
    base = {
        "alert_id": alert_id,
        "rule_id": "P4",
        "rule_version": "1.0.0",
        "title_zh": "补充合同累计超过原合同金额百分之十",
        "title_en": "Contract amendments above 10 % of the original value",
        "severity": "orange",
        "risk_area": "procurement",
        "school_id": "500102101",
        "district_id": "500102",
        "subject": {"kind": "contract", "id": f"HT-{alert_id}"},
        "measured_value": "3600000",
        "threshold": "3000000",
        "comparison": ">",
        "evidence_event_ids": ["e1", "e2"],
        "citation": "《政府采购法》第四十九条",
        "window": None,
        "event_time": "2026-09-05T15:00:00+08:00",
        "detected_at": "2026-11-01T10:00:00+08:00",
        "rules_config_hash": "live-hash",
        "details": {"unit": "元"},
    }
    return {**base, **fields}
