"""Errors of the auditor's replay.

DetectorError
└── ReplayRequestError    the replay cannot run as asked: a bad time, duration, topic, school or
                          rule selection, or a topic that does not exist
"""

from __future__ import annotations

from services.detectors.errors import DetectorError


class ReplayRequestError(DetectorError):
    pass
