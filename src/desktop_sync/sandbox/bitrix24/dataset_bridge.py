"""The one place the Bitrix24 sandbox reads the shared story from."""

from __future__ import annotations

from desktop_sync.sandbox.dataset import (
    ORGANIZATION_INN,
    ORGANIZATION_KPP,
    ORGANIZATION_NAME,
    Dataset,
    build,
)

ORGANIZATION = (ORGANIZATION_NAME, ORGANIZATION_INN, ORGANIZATION_KPP)


def build_dataset(seed: int, size: str) -> Dataset:
    return build(seed, size)


__all__ = ["ORGANIZATION", "Dataset", "build_dataset"]
