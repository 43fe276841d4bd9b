"""desktop_sync.connectors."""
