"""OCP Cardinal's indicators in batch: cases written from Cardinal's documentation
(methodology pages and their worked examples), with Cardinal's output shape."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from qinglian.cli import app
from services.detectors.errors import OcdsInputError
from services.detectors.ocds_batch import default_settings, indicators_output, parse_settings
from services.detectors.rules.ocds.cardinal import mul_add, quantile


def bid(tenderer, amount=None, status="valid", currency="CNY", date=None, tenderers=None):
    result = {"status": status, "tenderers": [{"id": t} for t in (tenderers or [tenderer])]}
    if amount is not None:
        result["value"] = {"amount": amount, "currency": currency}
    if date is not None:
        result["date"] = date
    return result


def process(ocid, bids=(), awards=(), **extra):
    release = {"ocid": ocid, **extra}
    if bids:
        release["bids"] = {"details": list(bids)}
    if awards:
        release["awards"] = list(awards)
    return release


def award(*suppliers, status="active", items=()):
    return {
        "status": status,
        "suppliers": [{"id": s} for s in suppliers],
        "items": [{"classification": {"id": c}} for c in items],
    }


def price_process(ocid, winner, runner_up):
    """Two valid bids, the lower one won (R024/R058's ratio = (runner_up - winner) / winner)."""
    return process(ocid, [bid("W", winner), bid("L", runner_up)], [award("W")])


def cardinal(releases, settings="", *, meta=True):
    warnings = []
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in releases]
    parsed = parse_settings(settings) if settings else default_settings()
    return json.loads(indicators_output(lines, parsed, meta=meta, warn=warnings.append)), warnings


class TestStatistics:
    def test_quartiles_are_hyndman_fan_type_8(self):
        """numpy.quantile([1, 2, 3, 4], [0.25, 0.75], method="median_unbiased") = 1.41666…, 3.58333…"""
        assert quantile([4, 1, 3, 2], 0.25) == pytest.approx(1.4166666666666667, abs=1e-15)
        assert quantile([4, 1, 3, 2], 0.75) == pytest.approx(3.5833333333333335, abs=1e-15)

    @pytest.mark.parametrize(
        ("values", "tau", "expected"),
        [([7.0], 0.25, 7.0), ([1, 9], 0.0, 1), ([1, 9], 1.0, 9), ([3, 5], 0.1, 3)],
    )
    def test_quantile_edges_take_the_extremes(self, values, tau, expected):
        assert quantile(values, tau) == expected

    def test_no_data_has_no_quantile(self):
        assert math.isnan(quantile([], 0.25))

    def test_fences_use_a_fused_multiply_add(self):
        assert mul_add(0.1, 3.0, -0.3) == 2.7755575615628914e-17  # x*y+z naively gives 5.55e-17


class TestPopulationIndicators:
    def test_r024_flags_a_runner_up_unusually_close_to_the_winner(self):
        """Docs: Q1 = 5 %, Q3 = 7 % give a lower fence of 2 %; a 1 % difference is flagged with both bidders."""
        releases = [price_process("close", 100, 101)] + [
            price_process(f"p{i}", 100, 100 + d) for i, d in enumerate([5, 5, 5, 6, 7, 7, 7])
        ]
        result, _ = cardinal(releases, "[R024]")
        assert result["OCID"] == {"close": {"R024": 0.01}}
        assert result["Tenderer"] == {"W": {"R024": 0.0}, "L": {"R024": 0.0}}
        assert result["Meta"]["R024"] == {"q1": 0.05, "q3": 0.07, "lower_fence": 0.02}

    def test_r024_is_skipped_when_most_ratios_are_zero(self):
        releases = [price_process(f"p{i}", 100, 100) for i in range(5)] + [
            price_process("x", 100, 150)
        ]
        result, _ = cardinal(releases, "[R024]")
        assert "OCID" not in result and result["Meta"]["R024"]["q1"] == 0.0

    def test_r024_excludes_processes_cardinal_excludes(self):
        """Pending awards, several active awards, consortium bids, several suppliers, a winner that was not lowest."""
        excluded = [
            process("pending", [bid("W", 100), bid("L", 101)], [award("W"), {"status": "pending"}]),
            process("two-awards", [bid("W", 100), bid("L", 101)], [award("W"), award("W")]),
            process(
                "consortium", [bid("W", 100), bid("L", 101, tenderers=["L", "M"])], [award("W")]
            ),
            process("two-suppliers", [bid("W", 100), bid("L", 101)], [award("W", "X")]),
            process("not-lowest", [bid("W", 102), bid("L", 101)], [award("W")]),
        ]
        result, _ = cardinal(
            excluded + [price_process(f"p{i}", 100, 150) for i in range(4)],
            "[R024]\nthreshold = 0.6",
        )
        assert set(result["OCID"]) == {"p0", "p1", "p2", "p3"}

    def test_r058_flags_a_winner_far_below_the_others(self):
        releases = [price_process("deep", 100, 150)] + [
            price_process(f"p{i}", 100, 100 + d) for i, d in enumerate([5, 5, 5, 6, 7, 7, 7])
        ]
        result, _ = cardinal(releases, "[R058]")
        assert result["OCID"] == {"deep": {"R058": 0.5}}
        assert result["Tenderer"] == {"W": {"R058": 0.0}}
        assert result["Meta"]["R058"]["upper_fence"] == pytest.approx(0.1)

    def test_r025_flags_a_frequent_loser(self):
        """Docs' demonstration shape: one tenderer bids in six processes and wins one."""
        releases = [process("0", [bid("F")], [award("F")])]
        releases += [
            process(str(i), [bid("F"), bid(f"T{i}")], [award(f"T{i}")]) for i in range(1, 6)
        ]
        result, _ = cardinal(releases, "[R025]")
        assert result["Tenderer"] == {"F": {"R025": 1 / 6}}
        assert set(result["Meta"]["R025"]) == {"q1", "q3", "upper_fence", "lower_fence"}

    def test_r038_flags_buyers_and_keeps_cardinals_minimum_quirk(self):
        """Buyers need `minimum_contracting_processes` — compared with their submitted bids, as Cardinal's code does."""
        releases = [process("0", [bid("W"), bid("D", status="disqualified")], buyer={"id": "B"})]
        releases += [process(str(i), [bid("W")], buyer={"id": f"B{i}"}) for i in range(1, 5)]
        result, _ = cardinal(releases, "[R038]", meta=False)
        assert result == {"Buyer": {"B": {"R038": 0.5}}}

    def test_r038_minimums_are_configurable(self):
        releases = [process("0", [bid("W"), bid("D", status="disqualified")], buyer={"id": "B"})]
        assert cardinal(releases, "[R038]\nminimum_contracting_processes = 3", meta=False)[0] == {}

    def test_r048_flags_a_supplier_of_unusually_many_categories(self):
        releases = [process("F", awards=[award("F", items=["10000000", "11000000", "10990000"])])]
        releases += [process(str(i), awards=[award(f"S{i}", items=["10000000"])]) for i in range(4)]
        result, _ = cardinal(releases, "[R048]\nminimum_contracting_processes = 1")
        assert result["Tenderer"] == {"F": {"R048": 2.0}}
        assert result["Meta"]["R048"] == {"q1": 1.0, "q3": 1.3333, "upper_fence": 1.8333}

    def test_meta_of_an_empty_population_is_null(self):
        result, _ = cardinal([process("x")], "[R024]")
        assert result == {"Meta": {"R024": {"q1": None, "q3": None, "lower_fence": None}}}


class TestProcessIndicators:
    @pytest.mark.parametrize(
        ("period", "extra", "flagged"),
        [
            (("2026-03-01T09:00:00+08:00", "2026-03-11T09:00:00+08:00"), {}, True),
            (("2026-03-01T09:00:00+08:00", "2026-03-16T09:00:00+08:00"), {}, False),
            (("2026-03-01T09:00:00+08:00", "2026-03-16T08:59:59+08:00"), {}, True),
            (
                ("2026-03-01T09:00:00+08:00", "2026-03-05T09:00:00+08:00"),
                {"procurementMethodDetails": "询价"},
                False,
            ),
            (("2026-03-01", "2026-03-05"), {}, False),
        ],
        ids=[
            "10 days",
            "boundary 15 days",
            "14 days 23 h truncates",
            "询价 has 3 days",
            "dates without time skipped",
        ],
    )
    def test_r003_short_submission_period(self, period, extra, flagged):
        tender = {"tenderPeriod": {"startDate": period[0], "endDate": period[1]}, **extra}
        result, _ = cardinal(
            [process("t", tender=tender)], "[R003]\n[R003.procurement_method_details]\n询价 = 3"
        )
        assert ("OCID" in result) is flagged

    @pytest.mark.parametrize(
        ("method", "count", "flagged"),
        [
            ("open", 1, True),
            ("selective", 1, True),
            ("limited", 1, False),
            ("open", 2, False),
            ("open", 1.0, False),
        ],
    )
    def test_r018_single_bid_reads_number_of_tenderers(self, method, count, flagged):
        result, _ = cardinal(
            [process("t", tender={"procurementMethod": method, "numberOfTenderers": count})],
            "[R018]",
        )
        assert ("OCID" in result) is flagged

    def test_r028_identical_prices_from_different_tenderers(self):
        releases = [
            process("same", [bid("A", 100), bid("B", 100), bid("C", 120)]),
            process("own-repeat", [bid("A", 100), bid("A", 100)]),
            process("currency", [bid("A", 100, currency="USD"), bid("B", 100)]),
        ]
        result, _ = cardinal(releases, "[R028]", meta=False)
        assert result == {
            "OCID": {"same": {"R028": 1.0}},
            "Tenderer": {"A": {"R028": 1.0}, "B": {"R028": 1.0}},
        }

    def test_r030_late_winning_bid_compares_date_strings(self):
        tender = {"tenderPeriod": {"endDate": "2026-03-01T03:00:00Z"}}
        late = bid(
            "W", date="2026-03-01T10:00:00+08:00"
        )  # the same instant, but a later string, as in Cardinal
        releases = [
            process(
                "late", [late, bid("L", date="2026-03-02T00:00:00Z")], [award("W")], tender=tender
            ),
            process(
                "loser-late",
                [bid("W", date="2026-02-28T00:00:00Z"), bid("L", date="2026-03-02T00:00:00Z")],
                [award("W")],
                tender=tender,
            ),
        ]
        result, _ = cardinal(releases, "[R030]", meta=False)
        assert result == {"OCID": {"late": {"R030": 1.0}}, "Tenderer": {"W": {"R030": 1.0}}}

    @pytest.mark.parametrize(
        ("settings", "awards", "expected"),
        [
            (
                "[R035]",
                [award("V")],
                {"OCID": {"F": {"R035": 2.0}}, "Tenderer": {"V": {"R035": 0.0}}},
            ),
            ("[R035]\nthreshold = 3", [award("V")], {}),
            (
                "[R035]\nthreshold = 0",
                [award("V")],
                {"OCID": {"F": {"R035": 2.0}}, "Tenderer": {"V": {"R035": 0.0}}},
            ),
            ("[R035]", [award("V"), {"status": "pending"}], {}),
        ],
        ids=["two others disqualified", "threshold 3", "threshold at least 1", "pending award"],
    )
    def test_r035_all_except_the_winner_disqualified(self, settings, awards, expected):
        bids = [bid("V"), bid("D1", status="disqualified"), bid("D2", status="disqualified")]
        assert cardinal([process("F", bids, awards)], settings, meta=False)[0] == expected

    @pytest.mark.parametrize(
        ("bids", "flagged"),
        [
            ([bid("A", 1, "disqualified"), bid("B", 2)], True),
            ([bid("A", 2, "disqualified"), bid("B", 1)], False),
            ([bid("A", 1, "disqualified"), bid("B", 1)], True),
            ([bid("B", 1), bid("A", 1, "disqualified")], False),
            ([bid("A", 1, "disqualified"), bid("B", 2, "pending")], False),
        ],
        ids=[
            "lowest disqualified",
            "lowest valid",
            "tie: first in document order",
            "tie: valid first",
            "no valid bid",
        ],
    )
    def test_r036_lowest_bid_disqualified(self, bids, flagged):
        result, _ = cardinal([process("F", bids, [{"status": "active"}])], "[R036]")
        assert ("OCID" in result) is flagged


class TestRunner:
    def test_global_exclusions_and_bad_lines(self):
        lines = [
            "",
            "{not json",
            json.dumps(process(7, [bid("A", 1), bid("B", 1)])),
            json.dumps(
                process("cancelled", [bid("A", 1), bid("B", 1)], tender={"status": "cancelled"})
            ),
            json.dumps(
                process(
                    "excluded",
                    [bid("A", 1), bid("B", 1)],
                    tender={"procurementMethodDetails": "自行采购"},
                )
            ),
            json.dumps(process("kept", [bid("A", 1), bid("B", 1)])),
        ]
        result, warnings = cardinal(
            lines, "[exclusions]\nprocurement_method_details = 自行采购|框架协议\n[R028]"
        )
        assert list(result["OCID"]) == ["kept"]
        assert warnings == [
            "Line 2 is invalid JSON, skipping. [Expecting property name enclosed in double quotes: line 1 column 2 (char 1)]"
        ]

    def test_only_configured_indicators_run_and_all_run_by_default(self):
        releases = [
            process(
                "t",
                [bid("A", 1), bid("B", 1)],
                tender={"procurementMethod": "open", "numberOfTenderers": 1},
            )
        ]
        assert set(cardinal(releases, "[R018]")[0]["OCID"]["t"]) == {"R018"}
        assert set(cardinal(releases)[0]["OCID"]["t"]) == {"R018", "R028"}

    def test_price_comparison_settings_gate_r028(self):
        releases = [
            process("t", [bid("A", 1), bid("B", 1)], tender={"procurementMethodDetails": "询价"})
        ]
        assert cardinal(releases, "no_price_comparison_procurement_methods = 询价\n[R028]")[0] == {
            "Meta": {}
        }
        assert cardinal(releases, "price_comparison_procurement_methods = 公开招标\n[R028]")[0] == {
            "Meta": {}
        }

    @pytest.mark.parametrize(
        ("settings", "message"),
        [
            ("[R099]", r"unknown section \[R099\]"),
            ("[R024]\nthreshhold = 1", r"unknown key 'threshhold' in \[R024\]"),
            ("[R035]\nthreshold = many", r"\[R035\] threshold = 'many' is not a whole number"),
            ("currencies = CNY", "unknown key 'currencies' in top level"),
        ],
    )
    def test_settings_errors_are_specific(self, settings, message):
        with pytest.raises(OcdsInputError, match=message):
            cardinal([], settings)

    def test_prepare_sections_of_a_cardinal_settings_file_are_accepted(self):
        assert cardinal(
            [], "[defaults]\ncurrency = CNY\n[codelists.bid_status]\nqualified = valid\n[R030]"
        )[0] == {"Meta": {}}

    def test_cli_prints_cardinal_output(self, tmp_path):
        path = tmp_path / "releases.jsonl"
        path.write_text(
            "\n".join(json.dumps(r) for r in [process("t", [bid("A", 1), bid("B", 1)])]),
            encoding="utf-8",
        )
        settings = tmp_path / "settings.ini"
        settings.write_text("[R028]\n", encoding="utf-8")
        result = CliRunner().invoke(
            app, ["rules", "ocds", str(path), "--settings", str(settings), "--no-meta"]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {
            "OCID": {"t": {"R028": 1.0}},
            "Tenderer": {"A": {"R028": 1.0}, "B": {"R028": 1.0}},
        }
