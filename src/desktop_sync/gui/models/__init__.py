"""Qt item models over the engine's plain data."""
