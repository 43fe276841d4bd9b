"""F5: products 1C → CRM (1C is their master); what the CRM cannot hold is said."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from desktop_sync.domain.entities import (
    Product,
)
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.matcher import Pair, match_products
from desktop_sync.engine.model import FieldChange, Flow, Head, Operation, OpKind, System, operation
from desktop_sync.engine.ops import LinkOnly, ProductCreate, ProductUpdate
from desktop_sync.engine.plan_base import (
    PRODUCT,
    PRODUCT_SYNCED,
    Builder,
    InCrm,
    Links,
    field_changes,
    linked,
)
from desktop_sync.engine.plan_diff import three_way
from desktop_sync.engine.snapshot import Snapshot
from desktop_sync.i18n import N_, tr
from desktop_sync.journal import LinkValues

_LINK_RULES = {
    "xml_id": N_("the mark of 1C's catalog exchange"),
    "confirmed": N_("a person's confirmation"),
}
_BY_ARTICLE = N_("article")
_CREATE = Head(Flow.F5, OpKind.CREATE, System.CRM, PRODUCT)
_LINK = Head(Flow.F5, OpKind.LINK, System.CRM, PRODUCT)
_UPDATE = Head(Flow.F5, OpKind.UPDATE, System.CRM, PRODUCT)


class Products(InCrm):
    def __init__(self, b: Builder, snap: Snapshot, links: Links) -> None:
        self.b = b
        self.snap = snap
        self.links = links
        super().__init__(match_products(snap.onec.products, snap.crm.products, links.of(PRODUCT)))
        self._confirmed_by_person()
        # each side's products by name as compared (``_named``), made when first asked
        self._crm_names: dict[str, list[int]] | None = None
        self._onec_names: dict[str, list[str]] | None = None

    def read_in_onec(self, onec_ref: str) -> bool:
        return onec_ref in self.snap.onec.products

    def create_in_crm(self, onec_ref: str, why: str) -> str:
        """A CRM catalog product; none for a product without a name (a person names it
        in 1C first)."""
        p = self.snap.onec.products[onec_ref]
        op_id = f"F5:create_crm:{onec_ref}"
        if self._nameless(p, onec_ref, blocks=(op_id,)):
            return ""
        amb = [a for a in self.match.ambiguous if onec_ref in a.onec_refs]
        if amb:
            self.b.attention(
                Flow.F5,
                PRODUCT,
                f"F5:ambiguous:{onec_ref}",
                record_id=onec_ref,
                record_label=p.name,
                field=nz.label("article"),
                message=amb[0].message,
                action=tr("make the article unique, or link the product by hand"),
                blocks=(op_id,),
            )
        self._same_name_in_crm(p, onec_ref, op_id)
        reason = tr("{name}: not in the CRM catalog yet; will be created ({why})")
        self.b.op(
            operation(
                op_id,
                _CREATE,
                (onec_ref, None),
                p.name,
                reason.format(name=p.name, why=why) + self._cannot_hold(p),
                ProductCreate(p, nz.product_values(p)),
                key=self.b.key(Flow.F5, PRODUCT, onec_ref),
                changes=field_changes({}, nz.product_values(p)),
            )
        )
        return op_id

    def _nameless(self, p: Product, onec_ref: str, blocks: tuple[str, ...] = ()) -> bool:
        """A 1C product with an empty name waits for a person, named by what it has.

        The CRM keeps no product without a name; sending one would be refused on every
        run. One attention item says which product (its article or code) and what to
        do; nothing is written for it until 1C names it.
        """
        if nz.text(p.name):
            return False
        label = (
            tr("a product without a name (article {article})").format(article=p.article)
            if p.article
            else tr("a product without a name")
        )
        self.b.attention(
            Flow.F5,
            PRODUCT,
            f"F5:noname:{onec_ref}",
            record_id=onec_ref,
            record_label=label,
            field=nz.label("name"),
            message=tr("the name is empty in 1C; the CRM cannot keep a product without one"),
            action=tr("fill in the product's name in 1C; the next synchronization sends it"),
            blocks=blocks,
        )
        return True

    def link_op(self, onec_ref: str, crm_key: str, rule: str) -> str:
        """Link a product found in the CRM catalog; what differs goes to the CRM (1C is
        the master) in an update right after, in the same run.

        The link's 1C base holds the CRM's values of the fields that differ, so an
        update that does not get through is planned again by the next run."""
        p = self.snap.onec.products[onec_ref]
        crm_p = self.snap.crm.products[int(crm_key)].product
        onec_v, crm_v = nz.product_values(p), nz.product_values(crm_p)
        differ = {f: onec_v[f] for f in compared(onec_v) if onec_v[f] != crm_v[f]}
        by = tr(_LINK_RULES.get(rule, _BY_ARTICLE))
        reason = tr("{name}: found in the CRM catalog (by {rule}); will be linked")
        op_id = self.b.op(
            operation(
                f"F5:link:{onec_ref}",
                _LINK,
                (onec_ref, crm_key),
                p.name,
                reason.format(name=p.name, rule=by) + self._cannot_hold(p),
                LinkOnly({**onec_v, **{f: crm_v[f] for f in differ}}, crm_v),
            )
        )
        if differ:
            self.b.op(
                update_crm(onec_ref, crm_key, p.name, differ, onec_v, crm_v, depends_on=(op_id,))
            )
        return op_id

    @staticmethod
    def _cannot_hold(p: Product) -> str:
        """UT 11 packages and characteristics, said in the operation's reason: the CRM
        product keeps the base unit and has no characteristics. (An inbox item per
        product would bury real problems under hundreds of notes; nothing here needs a
        person's decision.)"""
        if not p.packages and not p.characteristics:  # most products
            return ""
        notes: list[str] = []
        if p.packages:
            names = ", ".join(f"«{name}» = {qty.normalize():f}" for name, qty in p.packages)
            notes.append(
                tr(
                    "packages {packages} base units stay in 1C: the CRM product keeps the "
                    "base unit, CRM invoices count base units"
                ).format(packages=names)
            )
        if p.characteristics:
            notes.append(
                tr(
                    "characteristics {names} stay in 1C: the CRM product has none, its stock "
                    "is their sum, and a CRM invoice with it waits for an order entered in 1C"
                ).format(names=", ".join(p.characteristics))
            )
        return "".join(f"; {n}" for n in notes)

    def onec_ref_of_crm(self, crm_id: int | None) -> str | None:
        return None if crm_id is None else self.match.by_crm.get(str(crm_id))

    def _confirmed_by_person(self) -> None:
        """Pairs a person confirmed in the inbox (a same-name suggestion)."""
        for key, decision in self.b.settings.decisions.items():
            if not key.startswith("F5:name:") or decision.action != "confirm":
                continue
            _f, _n, crm_key, onec_ref = key.split(":", 3)
            if (
                onec_ref in self.snap.onec.products
                and crm_key.isdigit()
                and int(crm_key) in self.snap.crm.products
                and onec_ref not in self.match.pairs
                and crm_key not in self.match.by_crm
            ):
                self.match.add(Pair(onec_ref, crm_key, "confirmed", known=False))

    def _same_name_in_crm(self, p: Product, onec_ref: str, op_id: str) -> None:
        """An unlinked CRM product named exactly like the 1C product about to be created:
        the create waits for a person (as a company of the same name does in F7), or the
        CRM would hold two products of one name and the next run would suggest linking a
        product that is already linked. Confirmed: linked instead; skipped: created."""
        if self._crm_names is None:  # asked for each product created: not a scan each time
            self._crm_names = _named(
                (pid, cp.product) for pid, cp in self.snap.crm.products.items()
            )
        found = [
            pid
            for pid in self._crm_names.get(nz.text(p.name).casefold(), ())
            if str(pid) not in self.match.by_crm
        ]
        if len(found) != 1:
            return
        key = f"F5:name:{found[0]}:{onec_ref}"
        decision = self.b.settings.decisions.get(key)
        if decision is not None and decision.action == "skip":
            return  # not the same product: a new one is created
        self.b.attention(
            Flow.F5,
            PRODUCT,
            key,
            record_id=str(found[0]),
            record_label=p.name,
            field=nz.label("name"),
            message=tr(
                "the CRM catalog has a product of the same name that is not linked to 1C; "
                "names are never matched automatically"
            ),
            action=tr(
                "confirm that they are the same product, and they are linked; or skip, "
                "and a new CRM product is created"
            ),
            onec_value=p.name,
            crm_value=self.snap.crm.products[found[0]].product.name,
            blocks=(op_id,),
        )

    def same_name(self, crm_id: int) -> str | None:
        """The one unlinked 1C product named exactly like the CRM product, if any."""
        crm = self.snap.crm.products.get(crm_id)
        if crm is None:
            return None
        if self._onec_names is None:  # asked for each row of an unlinked product
            self._onec_names = _named(self.snap.onec.products.items())
        found = [
            ref
            for ref in self._onec_names.get(nz.text(crm.product.name).casefold(), ())
            if ref not in self.match.pairs
        ]
        return found[0] if len(found) == 1 else None

    def diff_linked(self) -> None:
        onec, crm = self.snap.onec.products, self.snap.crm.products
        for link, ref, p, cp in linked(self.links, PRODUCT, onec, lambda k: crm.get(int(k))):
            if self._nameless(p, ref):
                continue  # nothing is sent until 1C names it again
            onec_v, crm_v = nz.product_values(p), nz.product_values(cp.product)
            fields = compared(onec_v)
            three_way(
                self.b,
                Flow.F5,
                PRODUCT,
                _with_new_fields(link, fields, crm_v),
                onec_v,
                crm_v,
                p.name,
                master=System.ONEC,
                fields=fields,
            )


SYNCED = PRODUCT_SYNCED  # what F5 keeps equal (see plan_base)

_K = TypeVar("_K")


def _named(products: Iterable[tuple[_K, Product]]) -> dict[str, list[_K]]:
    """The products' ids by their names as compared (whitespace collapsed, case folded),
    in the order given."""
    out: dict[str, list[_K]] = {}
    for key, p in products:
        out.setdefault(nz.text(p.name).casefold(), []).append(key)
    return out


def compared(onec_v: dict[str, Any]) -> tuple[str, ...]:
    """The synced fields of one product: its base price only when 1C has one (a CRM
    price is never removed because 1C has none)."""
    return tuple(f for f in SYNCED if f != "price" or onec_v.get("price"))


def _with_new_fields(
    link: LinkValues, fields: tuple[str, ...], crm_v: dict[str, Any]
) -> LinkValues:
    """A field a link's base does not hold yet (a link made before the field was
    compared) is taken as changed in 1C, the master: its value goes to the CRM, and no
    "changed in the CRM" is imagined."""
    new = [f for f in fields if f not in link.onec_values and f not in link.crm_values]
    if not new:
        return link
    return LinkValues(
        link.entity_type,
        link.onec_ref,
        link.crm_id,
        onec_values={**link.onec_values, **dict.fromkeys(new)},
        crm_values={**link.crm_values, **{f: crm_v.get(f) for f in new}},
    )


def update_crm(
    onec_ref: str,
    crm_id: str,
    label: str,
    values: dict[str, Any],
    onec_v: dict[str, Any],
    crm_v: dict[str, Any],
    depends_on: tuple[str, ...] = (),
) -> Operation:
    """The CRM product update that carries ``values`` (what differs) from 1C."""
    reason = tr("{name}: changed in 1C ({fields}); the CRM will be updated")
    return operation(
        f"{Flow.F5.value}:update_crm:{PRODUCT}:{onec_ref}",
        _UPDATE,
        (onec_ref, crm_id),
        label,
        reason.format(name=label, fields=", ".join(nz.label(f) for f in values)),
        ProductUpdate(values, onec_v, crm_v),
        changes=tuple(
            FieldChange(f, nz.label(f), nz.display(f, crm_v.get(f)), nz.display(f, v))
            for f, v in values.items()
        ),
        depends_on=depends_on,
    )
