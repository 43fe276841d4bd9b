"""Configuration errors: a one-line reason, shown to the person as it is."""

from desktop_sync.errors import BadConfiguration


class ConfigError(BadConfiguration):
    """A usage or configuration problem (exit code 2)."""
