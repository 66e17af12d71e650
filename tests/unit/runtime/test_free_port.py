"""free_port: a port to listen on that no outgoing connection takes before the server binds it."""

from __future__ import annotations

import socket

from qinglian.stack.processes import EPHEMERAL_PORTS_FILE, free_port


def lowest_ephemeral_port() -> int:
    return int(EPHEMERAL_PORTS_FILE.read_text().split()[0])


def test_ports_lie_below_the_ephemeral_range_and_can_be_bound() -> None:
    for _ in range(20):
        port = free_port()
        assert 1024 <= port < lowest_ephemeral_port()
        with socket.socket() as server:
            server.bind(("127.0.0.1", port))


def test_a_port_taken_now_is_never_offered() -> None:
    taken = []
    try:
        for _ in range(50):
            server = socket.socket()
            server.bind(("127.0.0.1", free_port()))
            server.listen()
            taken.append(server)
        assert len({server.getsockname()[1] for server in taken}) == 50
    finally:
        for server in taken:
            server.close()


def test_the_offsets_asked_for_are_free_too() -> None:
    port = free_port(also_free_at=(10, 20))
    for offset in (0, 10, 20):
        with socket.socket() as server:
            server.bind(("127.0.0.1", port + offset))
        assert port + 20 < lowest_ephemeral_port()
