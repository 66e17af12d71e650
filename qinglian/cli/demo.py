"""`qinglian demo`: bring up the local stack and show events flowing through it."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer

from qinglian.settings import Settings, project_root


def _publish_examples(settings: Settings) -> list[tuple[str, str, int, int]]:
    """Validate, pseudonymize and publish every contract example; returns (type, id, partition, offset)."""
    from contracts import registry
    from contracts.pii import pseudonymize
    from qinglian import broker
    from qinglian.topics import raw_topic

    key = settings.pseudonym_key.get_secret_value().encode()
    producer = broker.durable_producer(settings, client_id="qinglian-demo")
    published = []
    try:
        for path in sorted((project_root() / "contracts" / "examples").glob("*.json")):
            event = json.loads(path.read_text())
            info = registry.type_info(event["type"])
            if info.domain not in ("canteen", "procurement", "enrollment", "finance"):
                continue
            registry.validate(event)
            wire = pseudonymize(event, key)
            metadata = producer.send(
                raw_topic(settings, info.domain),
                key=wire["schoolid"].encode(),
                value=json.dumps(wire, ensure_ascii=False).encode(),
                headers=[(broker.CONTENT_TYPE_HEADER, broker.CLOUDEVENTS_CONTENT_TYPE)],
            ).get(timeout=30)
            published.append((event["type"], event["id"], metadata.partition, metadata.offset))
    finally:
        producer.close()
    return published


def demo(
    ctx: typer.Context,
    duration: Annotated[
        int | None, typer.Option("--duration", help="运行秒数后自动退出 / Exit by itself after N seconds (for tests).")
    ] = None,
) -> None:
    """演示 / Run the demo: the local stack and events flowing through it (Ctrl-C stops)."""
    from qinglian.stack import control

    settings: Settings = ctx.obj.settings
    typer.echo("① 启动本地栈 / starting the local stack")
    control.up(settings, report=lambda message: typer.echo(f"   {message}"))
    typer.echo("② 发布契约示例事件 / publishing one example event of every type (validated, pseudonymized)")
    for event_type, event_id, partition, offset in _publish_examples(settings):
        typer.echo(f"   {event_type:<52} partition {partition} offset {offset:<6} id {event_id}")
    typer.echo(
        "③ 查看 / where to look:\n"
        f"   Kafka   {settings.kafka_bootstrap_servers}  (topics: qinglian stack topics)\n"
        f"   状态    ./run qinglian stack status\n"
        f"   停止    ./run qinglian stack down"
    )
    if duration is not None:
        time.sleep(duration)
