"""desktop_sync.gui."""
