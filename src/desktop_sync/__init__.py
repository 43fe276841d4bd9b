"""desktop-sync: supervised two-way synchronisation of 1C:Enterprise and Bitrix24."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("desktop-sync")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
