"""desktop_sync.connectors.onec."""
