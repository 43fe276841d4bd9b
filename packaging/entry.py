"""The frozen executable's entry point: the same ``desktop-sync`` command as pip installs."""

from desktop_sync.cli.main import main

if __name__ == "__main__":
    main()
