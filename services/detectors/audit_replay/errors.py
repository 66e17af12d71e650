"""Errors of the auditor's replay.

DetectorError
└── ReplayRequestError    the replay cannot run as asked: a bad duration, topic, school or rule
                          selection, an empty range, or a topic that does not exist
                          (a bad time is a TimeTextError, as for every detectors command)
"""

from __future__ import annotations

from services.detectors.errors import DetectorError


class ReplayRequestError(DetectorError):
    pass
