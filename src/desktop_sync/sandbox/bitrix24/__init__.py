"""desktop_sync.sandbox.bitrix24."""
