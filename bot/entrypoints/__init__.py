"""Entry points: the composition root, HTTP, Socket Mode, the CLI, the sandbox, and the process
around them (settings, logs, metrics, health, worker pools, the timer ticker)."""
