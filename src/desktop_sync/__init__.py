"""desktop-sync: supervised two-way synchronisation of 1C:Enterprise and Bitrix24."""

import sys

# httpx imports its command-line client when click, rich and pygments are all installed
# (rich comes with developer tools such as memray): 4.7 MB of the sync process's memory
# for a command we never run (issue 18). Marked missing, httpx falls back to its stub.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

__all__ = ["__version__"]
__version__: str  # read from the installed package when first asked: __getattr__ below


def __getattr__(name: str) -> str:
    """``__version__`` (PEP 562). ``importlib.metadata`` (with the email parser it uses)
    is imported only by what shows the version: `--version`, a run's journal entry, the
    window's About; not by every command's start-up (docs/decisions/ci-time.md)."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("desktop-sync")
    except PackageNotFoundError:  # running from a source tree without installation
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
