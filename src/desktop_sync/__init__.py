"""desktop-sync: supervised two-way synchronisation of 1C:Enterprise and Bitrix24."""

import sys
from importlib.metadata import PackageNotFoundError, version

# httpx imports its command-line client when click, rich and pygments are all installed
# (rich comes with developer tools such as memray): 4.7 MB of the sync process's memory
# for a command we never run (issue 18). Marked missing, httpx falls back to its stub.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

try:
    __version__ = version("desktop-sync")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
