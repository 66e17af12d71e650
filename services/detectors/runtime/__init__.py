"""The detectors' runtime: the imperative shell around the pure rule engine.

records.py       Kafka records in, decoded events or dead-letter reasons out
messages.py      what the runtime writes: alert CloudEvents, dead letters, repartitioned events
partitioning.py  which partition a school id or a global state key lives in
store.py         the engine's state over a faust table, written once per batch
clocks.py        event time per source partition: the watermark a worker may reach
processor.py     one batch of records through the engines (no Kafka, no faust)
runner.py        one agent's batch: detector, publish, write state (in that order)
app.py           the faust-streaming app: agents, tables, topics (``create_app``)
worker.py        running one worker with its metrics and lag exporter
stall.py         a worker with a backlog that reads nothing exits, to be started again
quarantine.py    the rule steps a stalled worker was stuck in, skipped by every worker since
reading.py       a range of topics read with a plain consumer, merged by Kafka time
replay.py        the same engine over a topic range (``reading``)
evaluation.py    precision and recall of alerts against a ground truth (pure)
evaluate.py      ``qinglian evaluate``: simulator output through the pipeline
"""
