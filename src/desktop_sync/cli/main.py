"""Placeholder entry point; replaced by the real CLI in this same change."""


def main() -> None:
    raise SystemExit(0)
