"""A minimal faust-streaming app for the client-compatibility test: forward every record to a sink topic."""

from __future__ import annotations

import os

import faust


def create_app() -> faust.App:
    app = faust.App(
        os.environ["PROBE_APP_ID"],
        broker=f"kafka://{os.environ['PROBE_BROKER']}",
        store="memory://",
        datadir=os.environ["PROBE_DATA_DIR"],
        topic_partitions=3,
        broker_session_timeout=10,
        broker_rebalance_timeout=10,
        consumer_auto_offset_reset="earliest",
    )
    source = app.topic(
        os.environ["PROBE_SOURCE"], key_type=bytes, value_type=bytes, value_serializer="raw"
    )
    sink = app.topic(
        os.environ["PROBE_SINK"], key_type=bytes, value_type=bytes, value_serializer="raw"
    )

    @app.agent(source)
    async def forward(stream):
        async for key, value in stream.items():
            await sink.send(key=key, value=value)

    return app


if __name__ == "__main__":
    create_app().main()
