"""Small networking helpers for tests that start servers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading

_given: set[int] = set()
_lock = threading.Lock()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that this process has
    not been given before: two asked for in a row (a server and its neighbour) could otherwise
    be the same one, the first not yet bound (seen: a benchmark's bot and its CPU endpoint)."""
    with _lock:
        while True:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = int(probe.getsockname()[1])
            if port not in _given:
                if len(_given) > 10_000:  # a long run: ports given long ago are free again
                    _given.clear()
                _given.add(port)
                return port
