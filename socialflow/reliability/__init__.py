"""Reliability plumbing: Idempotency-Key replay for creating POSTs, and tasks whose enqueue failed
(broker down) kept in the database and re-driven."""
