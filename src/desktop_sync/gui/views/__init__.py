"""Widgets that only lay out and style (no logic after creation)."""
