"""desktop_sync.connectors.bitrix24."""
