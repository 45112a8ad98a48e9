"""``make smoke``: the real ``make run`` stack from a fresh clone under a minute of real clients.

``python -m smoke [--mode embedded|pg] [--duration 60] [--users 24]`` (``make smoke``,
``make smoke SMOKE_MODE=pg``). See docs/operations.md for what it does and checks.
"""
