"""Kafka plumbing: publishing, the outbox relay and the idempotent consumer loop."""
