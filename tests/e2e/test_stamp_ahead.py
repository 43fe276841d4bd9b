"""A CRM record stamped later than the portal's own clock (a clock that ran ahead and
was set back, records carried over from another server) must not blind the next
incremental read.

The probes of what changed start from the newest stamp the last read saw; taken as
it came, a stamp a year ahead moved that start a year ahead, and every later run
missed what the first one wrote to the CRM: on the benchmark's large set (seeded
product stamps reaching 2027) the run after the first re-planned 12,663 operations
(4,800 companies and 6,660 products created again, 2,547 conflicts with its own
updates). A full read planned nothing.
"""

from __future__ import annotations

import datetime as dt

from desktop_sync.sandbox.bitrix24.store import now_portal

from .conftest import World


def test_a_stamp_ahead_of_the_portal_clock_does_not_hide_what_the_last_run_wrote(
    world: World,
) -> None:
    store = world.crm.store
    with store.lock:
        newest = max(store.products.rows)
        store.products.rows[newest]["timestampX"] = now_portal() + dt.timedelta(days=400)
    with world.service() as svc:
        svc.run()  # creates companies and products in the CRM, updates others
    with world.service() as svc:
        snap, plan = svc.prepare()
    assert not snap.full  # the incremental read, as on every day after the first
    assert plan.operations == (), [op.op_id for op in plan.operations][:10]
    assert plan.conflicts == ()
