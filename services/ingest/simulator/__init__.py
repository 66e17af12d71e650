"""District simulator: a deterministic synthetic school district for Qinglian (`qinglian simulate`).

    from services.ingest.simulator.scenario import Scenario
    from services.ingest.simulator.simulation import Simulation

    simulation = Simulation.prepare(Scenario(schools=50, days=30, seed=1, pseudonym_key=key))
    for emission in simulation.emissions():   # SimulatedEvent | GroundTruth, in event-time order
        ...

Layout (functional core, imperative shell):

    scenario, calendar, people, organizations, reference, district, roster   the district model
    anomalies, injections, rules                                              where each rule is broken
    activities/  procurement/                                                 what schools do each day
    schedule, simulation, emissions, manifest                                 the time-ordered stream
    sinks/  runner, cli                                                       files, pushes, pacing, the command

Ground truth (``ground_truth.jsonl``), one record per alert a correct detector raises::

    {"rule_id": "C6", "school_id": "50010200007", "subject": {"kind": "vendor", "id": "91500102MA0000002B"},
     "event_time": "2025-09-03T07:12:40+08:00", "evidence_event_ids": ["..."], "record_id": "INS-..."}

A person is named by the pseudonym ingest gives them (contracts.pii.pseudonym with the configured key);
``school_id`` is null for a tenderer judged against the whole district; ``record_id`` tells apart
several alerts about one subject. Population findings (R025, R038, R048) and term or quarter
findings (C1 under-spending, C3, F_BENFORD) are decided when their window closes, so they come last.
"""
