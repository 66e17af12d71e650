"""The detector rule ids the simulator injects anomalies for, as the detectors name them."""

from __future__ import annotations

CANTEEN = ("C1", "C2", "C3", "C6", "C7", "C9", "C_MEALS", "C_PRICE")
PROCUREMENT = ("P3", "P3_NEAR", "P4", "P6", "P7", "P10", "P12")
OCDS = ("R003", "R018", "R024", "R025", "R028", "R030", "R035", "R036", "R038", "R048", "R058")
ENROLLMENT = ("E1", "E2", "E3", "E5")
FINANCE = ("F1", "F2", "F4", "F6", "F7", "F8", "F10", "F11", "F_APPROVAL", "F_BENFORD")
ALL_RULES = CANTEEN + PROCUREMENT + OCDS + ENROLLMENT + FINANCE
