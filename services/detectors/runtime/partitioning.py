"""Which partition a key lives in, computed exactly as the producers do.

Raw events are keyed by school id with kafka-python's default partitioner
(murmur2, positive, modulo the partition count); aiokafka and the Java client use
the same function. A school rule's state key starts with ``"<school id>|"`` and is
routed by that school id, so its changelog partition is the partition of the
school's events. A global rule's state key (``"global|..."``) is routed by the
whole key (without a page suffix): the repartition topic and the global state
changelog both use it. A clock declaration a worker holds (``declaration_key``) lives in
the partition it names.
"""

from __future__ import annotations

from qinglian.broker import key_partition
from services.detectors.core.pages import PAGE_SEPARATOR
from services.detectors.core.rule import GLOBAL_KEY_PREFIX


def partition_for(key: str, partitions: int) -> int:
    return key_partition(key.encode("utf-8"), partitions)


DECLARATIONS = "@clock"
"""The table entries of clock declarations are filed under this name, where a rule's id goes.
School ids are digits and global keys start with ``global|``, so no state key starts with it."""


def declaration_key(partition: int) -> str:
    """The state key of the clock declarations a worker holds for one of its partitions."""
    return f"{DECLARATIONS}/{partition}"


def state_partition(state_key: str, partitions: int) -> int:
    """The partition of a state key: its changelog partition and the partition whose owner runs it."""
    if state_key.startswith(DECLARATIONS):
        return int(state_key.removeprefix(f"{DECLARATIONS}/"))
    return partition_for(routing_key(state_key), partitions)


def routing_key(state_key: str) -> str:
    """The key whose partition holds this state: the school id, or the global key (a page of a
    global key, ``"<key>#<page>"``, lives with its key)."""
    if state_key.startswith(GLOBAL_KEY_PREFIX):
        return state_key.partition(PAGE_SEPARATOR)[0]
    return state_key.split("|", 1)[0]
