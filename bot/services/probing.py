"""The dependency-probe port: what a health check of one dependency found, and who checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ProbeResult:
    """One dependency's health: ``kind`` is ``tcp`` or ``http``; ``latency_ms`` and ``status``
    (the HTTP status) are None when nothing answered; ``detail`` says what happened."""

    target: str
    kind: str
    healthy: bool
    latency_ms: float | None
    status: int | None
    detail: str


# Checks every target (host:port or an http(s) URL) within a timeout in seconds, and returns one
# result per target in their order; it never raises (a failure is an unhealthy result).
Prober = Callable[[Sequence[str], float], list[ProbeResult]]
