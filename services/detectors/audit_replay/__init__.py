"""The auditor's replay (``qinglian replay``): re-run the live rules over a retained time range
of the raw topics, compare with the alerts the live detectors recorded, and report.

    timerange.py      the audited range, the warm-up before it and how far to read (pure)
    selection.py      topics, rules and schools the auditor selected; which alerts are in scope (pure)
    comparison.py     two sets of alerts: identical, only on one side, changed with field differences (pure)
    timeline.py       time buckets for the charts (pure)
    report.py         the report model and its JSON form (pure)
    charts.py         hand-drawn inline SVG charts (pure)
    html_report.py    the HTML page (Jinja2 template in templates/)
    summary.py        the lines the command prints
    run.py            one replay: read once, run the live and a candidate configuration, build the report
    kafka_reading.py  the read-only Kafka sources (no consumer group, nothing produced)
    cli.py            ``replay(...)``, registered by the CLI as ``qinglian replay``
"""
