"""desktop_sync.journal."""
