"""The sync as the CLI and the GUI use it: open, prepare (read + plan), apply.

``prepare`` reads both systems and returns the snapshot and the plan; it writes
nothing anywhere (not to either system, the journal or the snapshot cache), so a
window refresh or ``status`` beside a running synchronisation cannot disturb it.
``apply`` executes the plan minus what the person unticked, under the profile's run
lock, journalling every step; what needs writing besides (settling the operations an
interrupted run left unfinished, keeping the snapshot cache) happens only there,
under the lock. A plan is stale when any run applied anything after its read began:
``apply`` refuses it (:class:`StalePlan`), since its creates may already exist. ``run``
does both at once for the command line and the scheduler.
"""

from __future__ import annotations

import datetime as dt
import threading
import traceback
from dataclasses import dataclass

from desktop_sync import __version__
from desktop_sync.config import AppPaths, Profile
from desktop_sync.config.urls import check_webhook
from desktop_sync.connectors.bitrix24 import (
    Bitrix24Client,
    Bitrix24Error,
    Bitrix24PermissionError,
)
from desktop_sync.connectors.onec import OnecClient
from desktop_sync.engine import front
from desktop_sync.engine.cache import Cached, cache_path, give_back, map_large_blocks
from desktop_sync.engine.cache import load as load_cache
from desktop_sync.engine.cache import save as save_cache
from desktop_sync.engine.executor import Writer, execute, resume_unfinished, row_of
from desktop_sync.engine.facade import (
    SYSTEM_ERRORS,
    ConnectError,
    JournalDoor,
    SetupIncomplete,
    StalePlan,
    item_fields,
    open_journal,
    profile_secrets,
    run_counts,
    run_outcome,
)
from desktop_sync.engine.lookup import InvoiceStatus
from desktop_sync.engine.model import (
    ALL_FLOWS,
    Decision,
    Flow,
    ItemKind,
    Operation,
    Outcome,
    Plan,
    Progress,
    ProgressFn,
    RunSummary,
    Stage,
    System,
    no_progress,
)
from desktop_sync.engine.money import CRM_PAYMENT, PAYMENT_NOTE
from desktop_sync.engine.ops import products_in_1c_invoices
from desktop_sync.engine.plan_closing import SALES, ship_stages
from desktop_sync.engine.plan_deals import DEAL, deal_pipelines, deal_settings, missing_of
from desktop_sync.engine.plan_invoice_pdf import INVOICE_PDF
from desktop_sync.engine.plan_onec_invoices import issued_settings
from desktop_sync.engine.planner import (
    COUNTERPARTY,
    INVOICE,
    PRODUCT,
    Links,
    PlanSettings,
    build_plan,
    key_scope,
)
from desktop_sync.engine.read import FULL_EVERY, check_scopes, read_crm, read_onec
from desktop_sync.engine.read_persons import add_person_contacts
from desktop_sync.engine.records import Checked, ForPrint, SettingChoices
from desktop_sync.engine.sharing import Sharing
from desktop_sync.engine.snapshot import Snapshot, link_texts
from desktop_sync.engine.write_crm import CrmWriter
from desktop_sync.engine.write_crm_creates import creates_knowing
from desktop_sync.engine.write_crm_pdf import OnecSide
from desktop_sync.engine.write_onec import OnecWriter
from desktop_sync.errors import Cancelled
from desktop_sync.i18n import tr
from desktop_sync.journal import InboxKind, Journal, OpState, RunOutcome
from desktop_sync.redact import register_secret

__all__ = ["Cancelled", "ConnectError", "SetupIncomplete", "StalePlan", "SyncService"]

LINKED_TYPES = (COUNTERPARTY, PRODUCT, INVOICE, PAYMENT_NOTE, CRM_PAYMENT, INVOICE_PDF, SALES, DEAL)
_KEEP_PREPARED = 4  # plans this service can still apply (each holds its read)


@dataclass
class _Prepared:
    mark: int  # the journal's applied operations when the read began
    cache: Cached | None  # what the read saw, until saved as the snapshot cache
    keys: frozenset[str] | None = None  # a full read: the 1C keys on CRM records
    write_mark: int = 0  # the journal's newest operation (any profile) before the read


class SyncService(JournalDoor):
    """The one door the CLI and the window use: the journal's half (:class:`JournalDoor`)
    and, connected, check, setup, read/plan/apply, settings choices and invoice lookup."""

    def __init__(
        self,
        profile: Profile,
        paths: AppPaths,
        onec: OnecClient,
        crm: Bitrix24Client,
        journal: Journal,
    ) -> None:
        super().__init__(profile, paths, journal)
        self.onec = onec
        self.crm = crm
        self.writers: dict[System, Writer] = {
            System.ONEC: OnecWriter(onec),
            System.CRM: CrmWriter(crm, OnecSide(onec)),
        }
        self._connected = False
        self._prepared: dict[int, _Prepared] = {}

    @classmethod
    def open(
        cls,
        profile: Profile,
        paths: AppPaths,
        *,
        verify: bool | str = True,
        crm_throttle: bool | None = None,
    ) -> SyncService:
        """Build the clients and open the journal; no request leaves yet.

        The profile is validated again here, whatever file it came from (a hand-edited
        ``profiles.json`` is not checked when typed), and the webhook must belong to
        the profile's portal: a secret never leaves for a place the profile does not name.
        """
        profile = profile.validate()
        map_large_blocks()  # the C library's MB blocks given back once freed (issue 18)
        password, webhook = profile_secrets(profile)
        register_secret(password)
        register_secret(webhook)
        check_webhook(webhook, profile.crm_url)
        journal = open_journal(profile, paths)
        onec = OnecClient(
            profile.onec_url,
            profile.onec_user,
            password,
            # A self-signed 1C publication: its CA file, added for 1C only.
            verify=profile.onec_ca_file if verify is True and profile.onec_ca_file else verify,
            configuration=profile.configuration,
            timezone=profile.onec_timezone,
            organization=profile.organization or None,
            warehouse=profile.order_warehouse or None,
        )
        throttle = profile.crm_throttle if crm_throttle is None else crm_throttle
        crm = Bitrix24Client(webhook, verify=verify, throttle=throttle)
        return cls(profile, paths, onec, crm, journal)

    def close(self) -> None:
        self.onec.close()
        self.crm.close()
        super().close()

    # -- connecting ---------------------------------------------------------------------

    def connect(self, *, scopes: bool = True) -> None:
        """Log in to both systems, check the 1C base publishes what we need and the
        webhook's permissions (``scopes`` False: the CRM read's first request asks)."""
        if self._connected:
            return
        try:
            self.onec.connect()
            self.onec.organization()
            if scopes:
                check_scopes(self.crm)
        except SYSTEM_ERRORS as exc:
            raise ConnectError.of(exc) from None
        self._connected = scopes

    # -- preparing ----------------------------------------------------------------------

    def _decisions(self) -> dict[str, Decision]:
        out: dict[str, Decision] = {}
        for item in self.journal.inbox(open_only=False):
            if item.state != "resolved" or not item.resolution:
                continue
            r = item.resolution
            if "action" not in r:
                continue
            out[item.dedup_key] = Decision(
                str(r["action"]),
                r.get("value"),
                r.get("onec_value"),
                r.get("crm_value"),
                r.get("changes"),
            )
        return out

    def prepare(
        self,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        flows: tuple[Flow, ...] | None = None,
        *,
        full: bool = False,
    ) -> tuple[Snapshot, Plan]:
        """Read both systems and plan; write nothing anywhere (no run lock needed).

        Incremental after the first run; ``full`` forces a full reconciliation.
        Operations an interrupted run left unfinished are settled by ``run``,
        ``dry_run`` and ``apply`` under the run lock, never here."""
        cancel = cancel or threading.Event()
        progress(Progress(Stage.CONNECT))
        self.onec.forget()  # lookups of an earlier run in this session may be stale
        self.crm.forget()
        self.connect(scopes=False)
        # Taken before anything is read: what any run applies from now on makes this
        # plan stale, even a write that lands while we are reading.
        mark, write_mark = self.journal.applied_count(), self.journal.write_mark()
        cache_file = cache_path(self.paths.data_dir, self.profile.uuid)
        previous = None if full else load_cache(cache_file, self.profile.uuid)
        now = dt.datetime.now(dt.UTC)
        if previous is not None and now - previous.full_at > FULL_EVERY:
            previous = None  # the periodic full reconciliation: deletions and drift
        try:
            stock = bool(self.profile.warehouses) and Flow.F6 in (flows or ALL_FLOWS)
            share = Sharing()  # one object per text across both sides (a product's name)
            crm, cursor, keys = read_crm(self.crm, progress, cancel, stock=stock, previous=previous,
                                         deals=deal_pipelines(self.profile),
                                         share=share)  # fmt: skip
            onec, versions = read_onec(self.onec, progress, cancel, stock=stock, previous=previous,
                                       share=share)  # fmt: skip
            del share  # its tables of every text read: not kept past the read
            check_scopes(self.crm)  # answered by the read's first request
            self._connected = True
            missing_fields = missing_of(self.crm.userfields.missing_custom_fields())
            inventory_off = stock and not self.crm.inventory.enabled()
        except SYSTEM_ERRORS as exc:
            if isinstance(exc, Bitrix24PermissionError):
                check_scopes(self.crm, exc)  # a permission missing: say which ones
            raise ConnectError.of(exc) from None
        cached = Cached(
            self.profile.uuid, onec, crm,
            full_at=now if previous is None else previous.full_at,
            crm_cursor=cursor, onec_versions=versions,
        )  # fmt: skip
        snapshot = Snapshot(onec=onec, crm=crm, full=previous is None)
        progress(Progress(Stage.PLAN))
        links = Links(self.journal.links_of(LINKED_TYPES, link_texts(snapshot)))
        add_person_contacts(self.crm, snapshot, links)  # contacts the read did not bring
        settings = PlanSettings(
            key_scope(self.profile.crm_url, self.profile.uuid),
            send_stage=self.profile.stages.get("send", ""),
            paid_stage=self.profile.stages.get("paid", ""),
            partly_paid_stage=self.profile.stages.get("partly_paid", ""),
            missing_crm_fields=missing_fields,
            warehouses=dict(self.profile.warehouses),
            inventory_off=inventory_off,
            flows=flows or ALL_FLOWS,
            decisions=self._decisions(),
            invoice_pdf=self.profile.invoice_pdf,
            **deal_settings(self.profile, self.crm),  # F9 (the deal fields asked in the read)
            ship_stages=ship_stages(self.profile.stages.get("ship", "")),
            ship_post=self.profile.ship_post,
            **issued_settings(self.profile, dt.date.today()),
        )
        plan = build_plan(snapshot, links, settings)
        self._prepared[id(plan)] = _Prepared(mark, cached, keys, write_mark)
        while len(self._prepared) > _KEEP_PREPARED:  # a window refreshed all day long
            del self._prepared[next(iter(self._prepared))]
        return snapshot, plan

    def _settle_locked(self, progress: ProgressFn) -> None:
        """Under the run lock: runs a killed process left "running" are closed, and the
        operations they left "sending"/"outcome unknown" are looked up by their keys."""
        self.journal.close_interrupted_runs()
        progress(Progress(Stage.RESUME))
        try:
            resume_unfinished(self.journal, self.writers)
        except SYSTEM_ERRORS as exc:
            raise ConnectError.of(exc) from None

    def _keep_cache(self, plan: Plan) -> None:
        """Under the run lock: the plan's read saved as the next read's start, then let go."""
        if (prepared := self._prepared.get(id(plan))) and (cached := prepared.cache):
            save_cache(cache_path(self.paths.data_dir, self.profile.uuid), cached)
            prepared.cache = None

    # -- applying -----------------------------------------------------------------------

    def _record_items(self, plan: Plan, run_id: int, summary: RunSummary) -> None:
        keys = {item.key for item in plan.items}
        self.journal.raise_items(  # one look-up and one flush (issue 18: before the writes)
            (InboxKind.CONFLICT if item.kind is ItemKind.CONFLICT else InboxKind.ATTENTION,
             item.key, {"run_id": run_id, **item_fields(item)})
            for item in plan.items
        )  # fmt: skip
        for item in plan.items:
            summary.count("conflict" if item.kind is ItemKind.CONFLICT else "attention", item.flow)
        if plan.full:
            for flow in plan.flows:
                self.journal.close_items_not_in(keys, prefix=f"{flow.value}:")

    def _outcome(self, summary: RunSummary) -> Outcome:
        if summary.counts.get("failed", 0):
            return Outcome.PARTIAL
        if summary.counts.get("conflict", 0) or summary.counts.get("attention", 0):
            return Outcome.WAITING
        return Outcome.DONE

    def apply(
        self,
        plan: Plan,
        exclude: set[str] | frozenset[str] = frozenset(),
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        trigger: str = "manual",
    ) -> RunSummary:
        """Execute ``plan`` minus ``exclude`` (op ids the person unticked)."""
        cancel = cancel or threading.Event()
        with self.run_lock():
            prepared = self._prepared.get(id(plan))
            self.connect()
            self._settle_locked(progress)
            if prepared is None or self.journal.applied_count() != prepared.mark:
                # Another run (or the settling of an interrupted one) applied something
                # after this plan's read began: its creates may exist by now.
                self._prepared.pop(id(plan), None)
                raise StalePlan(
                    tr(
                        "another synchronization changed the systems after this plan was "
                        "read; nothing was written. Read both systems again, review the new "
                        "plan and apply it"
                    )
                )
            self._keep_cache(plan)
            return self._apply_locked(plan, set(exclude), progress, cancel, trigger)

    def _apply_locked(
        self,
        plan: Plan,
        exclude: set[str],
        progress: ProgressFn,
        cancel: threading.Event,
        trigger: str,
        ops: list[Operation] | None = None,
    ) -> RunSummary:
        """``ops``: the plan's operations with their payloads, taken over (``run``)."""
        self.journal.close_interrupted_runs()
        ops = list(plan.operations) if ops is None else ops
        self.onec.keep_products(products_in_1c_invoices(op.payload for op in ops))
        run_id = self.journal.start_run("apply", trigger=trigger, app_version=__version__)
        summary = RunSummary(run_id, "apply", Outcome.DONE)
        try:
            self._record_items(plan, run_id, summary)
            chosen = []
            for op in ops:
                summary.count("planned", op.flow)
                if op.op_id in exclude or any(d in exclude for d in op.depends_on):
                    exclude.add(op.op_id)
                    why = tr("unticked in the plan")
                    state = OpState.SKIPPED.value
                    self.journal.add_operation(run_id, **row_of(op), state=state, error=why)
                    summary.count("skipped", op.flow)
                else:
                    chosen.append(op)
            ops.clear()  # the chosen are the executor's now
            try:
                read = self._prepared.get(id(plan))
                with creates_knowing(self.writers[System.CRM], self.journal, read):
                    execute(
                        chosen,
                        journal=self.journal,
                        run_id=run_id,
                        writers=self.writers,
                        summary=summary,
                        progress=progress,
                        cancel=cancel,
                    )
                summary.outcome = self._outcome(summary)
            except Cancelled:
                summary.outcome = Outcome.CANCELLED
                summary.message = tr("cancelled by the user; what was done is kept")
        except BaseException as exc:
            # Ctrl+C inside a journal statement: its cursor, alive in the traceback's
            # frames, kept SQLite's write lock ("database is locked" below). Let go first.
            traceback.clear_frames(exc.__traceback__)
            self.journal.finish_run(run_id, RunOutcome.CRASHED, summary.counts, message=str(exc))
            raise
        self.journal.finish_run(
            run_id, run_outcome(summary.outcome), run_counts(summary), message=summary.message
        )
        progress(Progress(Stage.DONE))
        return summary

    def dry_run(
        self,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        flows: tuple[Flow, ...] | None = None,
        trigger: str = "manual",
        *,
        full: bool = False,
    ) -> tuple[RunSummary, Plan]:
        """Read both systems and plan, journal the plan; write nothing to either system."""
        with self.run_lock():
            plan = self._plan_locked(progress, cancel, flows, full)
            run_id = self.journal.start_run("dry_run", trigger=trigger, app_version=__version__)
            summary = RunSummary(run_id, "dry_run", Outcome.DONE)
            for op in plan.operations:
                summary.count("planned", op.flow)
            self._record_items(plan, run_id, summary)
            summary.outcome = Outcome.WAITING if plan.items else Outcome.DONE
            self.journal.finish_run(run_id, run_outcome(summary.outcome), run_counts(summary))
            return summary, plan

    def run(
        self,
        progress: ProgressFn = no_progress,
        cancel: threading.Event | None = None,
        flows: tuple[Flow, ...] | None = None,
        trigger: str = "cli",
        *,
        full: bool = False,
        operations: bool = True,
    ) -> tuple[RunSummary, Plan]:
        """Prepare and apply at once: all of the plan (``operations`` False: its items back)."""
        cancel = cancel or threading.Event()
        with self.run_lock():
            planned = self._plan_locked(progress, cancel, flows, full)
            plan = planned.without_payloads() if operations else planned.items_only()
            ops = list(planned.operations)
            if (prepared := self._prepared.pop(id(planned), None)) is not None:
                self._prepared[id(plan)] = prepared
            del planned  # what a write needs goes with it once written (Pending)
            return self._apply_locked(plan, set(), progress, cancel, trigger, ops), plan

    def _plan_locked(
        self,
        progress: ProgressFn,
        cancel: threading.Event | None,
        flows: tuple[Flow, ...] | None,
        full: bool,
    ) -> Plan:
        """Under the run lock: settle, read, plan, keep the read as the next one's start."""
        self.connect(scopes=False)
        self._settle_locked(progress)
        plan = self.prepare(progress, cancel, flows, full=full)[1]  # the snapshot not kept
        self._keep_cache(plan)
        give_back()  # what the read held, to the system before the apply (issue 18)
        return plan

    # -- setup --------------------------------------------------------------------------

    def setup(self) -> list[str]:
        """Create the CRM custom fields the sync writes to; returns the names created.

        Under the profile's run lock: never beside a running synchronisation.
        """
        with self.run_lock():
            return self._setup_locked()

    def _setup_locked(self) -> list[str]:
        self.connect()
        try:
            made = [f.label for f in self.crm.userfields.setup_custom_fields()]
            for_deals = self.crm.deals.setup_custom_fields()  # the same names: said apart
            return [*made, *(tr("{field} (deals)").format(field=f.label) for f in for_deals)]
        except Bitrix24PermissionError as exc:
            raise ConnectError.of(exc) from None
        except Bitrix24Error as exc:  # a 500, an HTML page, a dropped answer
            raise SetupIncomplete(str(exc)) from None

    # -- what the fronts ask besides ----------------------------------------------------

    def check(self) -> Checked:
        """Connect to both systems: configuration, rights, what is missing."""
        return front.check(self)

    def setting_choices(self) -> SettingChoices:
        """The CRM stages and stores and the 1C warehouses the settings can point at."""
        return front.setting_choices(self)

    def invoice_status(self, query: str) -> InvoiceStatus:
        """One invoice (``crm:ID``, account number, 1C number[/year]) as read now."""
        return front.invoice_status(self, query)

    def invoice_for_print(self, query: str) -> ForPrint:
        """The 1C invoice to print, with the seller and its bank read from 1C now."""
        return front.for_print(self, query)
