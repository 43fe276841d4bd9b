"""Profiles (a readable file in the config dir) and secrets (the OS keyring only)."""

from desktop_sync.config.errors import ConfigError
from desktop_sync.config.paths import AppPaths
from desktop_sync.config.profiles import Profile, ProfileStore

__all__ = ["AppPaths", "ConfigError", "Profile", "ProfileStore"]
