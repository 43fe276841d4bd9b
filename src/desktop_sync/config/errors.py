"""Configuration errors: a one-line reason, shown to the person as it is."""


class ConfigError(Exception):
    """A usage or configuration problem (exit code 2)."""
