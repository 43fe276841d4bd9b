"""The read a plan was made from is let go once saved as the snapshot cache (issue 18:
the large set in 300 MB): the apply needs the plan, not the read. On the large set's
first sync, side by side, the sync process's peak was 483 MB holding it, 424 without."""

from __future__ import annotations

import gc
import weakref

import pytest

from .conftest import World


@pytest.mark.parametrize("configuration", ["bp30"])
def test_the_read_is_let_go_once_saved_as_the_cache(world: World) -> None:
    with world.service() as svc:
        snapshot, plan = svc.prepare()
        onec, crm = weakref.ref(snapshot.onec), weakref.ref(snapshot.crm)
        del snapshot  # the command line holds only the plan (``SyncService.run``)
        svc.apply(plan)
        gc.collect()
        assert onec() is None
        assert crm() is None
