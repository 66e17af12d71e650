"""Errors of the district simulator.

QinglianError
└── SimulatorError           base of everything the simulator refuses
    ├── ScenarioError        the requested scenario is impossible (size, dates, rate)
    └── SinkError            an output could not be written or a push was refused
"""

from __future__ import annotations

from qinglian.errors import QinglianError


class SimulatorError(QinglianError):
    pass


class ScenarioError(SimulatorError):
    pass


class SinkError(SimulatorError):
    pass
