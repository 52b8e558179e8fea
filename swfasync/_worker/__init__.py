"""Worker internals: pollers, task handlers, heartbeats, shutdown."""
