"""desktop_sync.engine."""
