"""``python -m desktop_sync`` is the same as the ``desktop-sync`` command."""

from desktop_sync.cli.main import main

if __name__ == "__main__":
    main()
