"""The detectors' pure core: no Kafka, faust, database, clock or network.

Public API (used by the streaming runtime and the replay tool alike):

    rule_set = config.load_rule_set(rules_file=None, district_file=None)   # RuleSet (+ config_hash)
    engine = engine.Engine(rule_set, store=None, *, scope=Scope.ALL, watermark=None, on_rule_error=None,
                           max_entry_bytes=256 * 1024)
    engine.process(event, *, detected_at) -> list[Alert]
    engine.advance_watermark(event_time, *, detected_at) -> list[Alert]
    engine.flush(*, detected_at) -> list[Alert]
    engine.state_keys(event) -> list[(rule id, state key)]   # routing / partition keys
    alert.to_dict()                                          # the ``alerts`` contract

State lives in a ``state.StateStore`` (``InMemoryStateStore`` by default) as
JSON values keyed by (rule id, state key); a key starts with the school id, or
with ``global|`` for the rules that are global by nature (``Scope.GLOBAL``).
A key may spread its state over pages (``pages``), stored as ``"<key>#<page>"``
in the key's partition: route every entry by ``rule.partition_key(key)``. An
entry above ``max_entry_bytes`` is refused with ``state.StateEntryTooLargeError``
(reported through ``on_rule_error`` as a ``RuleEvaluationError``).
"""
