"""desktop_sync.sandbox.onec."""
