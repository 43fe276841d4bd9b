"""CRM creates of companies (with their requisites) and catalog products: one at a time
or many to a batch request, never made twice: each is looked up by its key first, unless
the door knows the key is on no CRM record (``Creates.knowing``; the argument is in
docs/decisions/exactly-once-creates.md).

Keys (DESIGN.md): a company carries ``ORIGINATOR_ID=desktop-sync`` and
``ORIGIN_ID=<1C Ref_Key>``; its requisite ``XML_ID=<1C Ref_Key>``; a product
``xmlId=<1C Ref_Key>``. A half-made company (no requisite yet) is completed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import replace
from typing import Any, Protocol

from desktop_sync.crm.errors import CrmError
from desktop_sync.crm.port import CrmPort
from desktop_sync.domain.entities import Counterparty, CounterpartyKind, Product, Requisite
from desktop_sync.engine import normalize as nz
from desktop_sync.engine.executor import FOUND, Applied, Many, Outcome, WriteError
from desktop_sync.engine.model import Operation
from desktop_sync.engine.ops import (
    ORIGINATOR,
    CounterpartyCreate,
    EntityType,
    ProductCreate,
    Unsettled,
)
from desktop_sync.i18n import tr
from desktop_sync.journal import Journal

One = Callable[[Operation, Mapping[str, Applied]], Outcome]


def merge(
    ops: Sequence[Operation], decided: Mapping[str, Outcome], rest: Many, results: Any
) -> list[Outcome]:
    """Outcomes in order: those ``decided`` already, the others written by ``rest``."""
    others = [op for op in ops if op.op_id not in decided]
    made = dict(
        zip((op.op_id for op in others), rest(others, results) if others else [], strict=True)
    )
    return [decided[op.op_id] if op.op_id in decided else made[op.op_id] for op in ops]


def _record(op: Operation) -> object:
    p = op.payload
    return p.counterparty if isinstance(p, CounterpartyCreate) else getattr(p, "product", None)


def no_unit(name: str, code: object) -> WriteError:
    return WriteError(
        tr(
            "«{name}»: the CRM has no unit of measure with OKEI code {code}; add it "
            "in the CRM's units of measure"
        ).format(name=name, code=code),
        field=nz.label("unit"),
    )


def no_vat(name: str, rate: object) -> WriteError:
    return WriteError(
        tr("«{name}»: the CRM has no VAT rate {rate}; add it in the CRM's VAT rates").format(
            name=name, rate=nz.display("vat", rate)
        ),
        field=nz.label("vat"),
    )


class ReadKeys(Protocol):
    """A plan's read: a full read's 1C keys on CRM records (``CrmLists.keys``; None:
    not a full read), and the journal's ``write_mark`` taken before it began."""

    @property
    def keys(self) -> frozenset[str] | None: ...

    @property
    def write_mark(self) -> int: ...


def creates_knowing(
    writer: object, journal: Journal, read: ReadKeys | None
) -> AbstractContextManager[None]:
    """For one apply: the CRM creates skip the look-up of a key the plan's full read did
    not see, unless a profile sharing the journal may have written since that read began
    (docs/decisions/exactly-once-creates.md)."""
    creates = getattr(writer, "creates", None)
    if read is None or read.keys is None or not isinstance(creates, Creates):
        return nullcontext()
    if journal.written_since(read.write_mark):
        return nullcontext()
    return creates.knowing(read.keys)


class Creates:
    """The writer's creates; ``one`` and ``many`` are the writer's own (a record that
    must go alone, the rest of a batch after some were decided)."""

    def __init__(self, client: CrmPort, one: One, many: Many) -> None:
        self.client = client
        self.one = one
        self.many = many
        # The 1C keys on CRM records as a full read saw them, while no earlier write is
        # unsettled (set by the door for one apply); None: every create is looked up.
        self.seen: frozenset[str] | None = None

    @contextmanager
    def knowing(self, seen: frozenset[str] | None) -> Iterator[None]:
        """For one apply: the keys a full read saw on CRM records (None: look every key
        up). A create whose key is not among them is made without the look-up."""
        self.seen = seen
        try:
            yield
        finally:
            self.seen = None

    def look_up(self, onec_ref: str) -> bool:
        """Whether a create's key may be on a CRM record already (see ``knowing``)."""
        return self.seen is None or onec_ref.strip().lower() in self.seen

    def _company(
        self,
        cp: Counterparty,
        onec_ref: str,
        company_id: int | None,
        *,
        look_up: bool = True,
        requisite_id: int | None = None,
    ) -> Applied:
        """The company (or a partner's company) with the counterparty's requisite. Its
        key is looked up first: a company made before (by another run or profile, or
        a run whose journal is gone) is completed and relinked, never made twice."""
        c = self.client.companies
        found = False
        if company_id is None and look_up:
            company_id = c.find_company_by_origin(ORIGINATOR, onec_ref)
            found = company_id is not None
        if company_id is None:
            company_id = c.add_company(cp, originator_id=ORIGINATOR, origin_id=onec_ref)
        if requisite_id is None and cp.inn and look_up:
            requisite_id = c.find_requisite_by_xml_id(onec_ref)
            found = found or requisite_id is not None
        if requisite_id is None and cp.inn:
            requisite_id = c.add_requisite(
                company_id,
                Requisite(cp.inn, cp.kpp, cp.full_name or cp.name),
                name=cp.name,
                kind=cp.kind,
                xml_id=onec_ref,
            )
        return self._company_applied(cp, onec_ref, company_id, requisite_id, found=found)

    @staticmethod
    def _company_applied(
        cp: Counterparty, onec_ref: str, company_id: int, requisite_id: int | None, *, found: bool
    ) -> Applied:
        key = f"{company_id}/{requisite_id}" if requisite_id is not None else str(company_id)
        values = nz.counterparty_values(cp)
        return Applied(
            key,
            EntityType.COUNTERPARTY,
            onec_ref=onec_ref,
            crm_id=key,
            onec_values=values,
            crm_values=values,
            result={FOUND: True} if found else {},
        )

    def create_company(self, op: Operation, results: Mapping[str, Applied]) -> Applied:
        p = op.payload
        assert isinstance(p, CounterpartyCreate)
        return self._company(
            p.counterparty,
            op.source_id,
            self._partner_company(p, results),
            look_up=self.look_up(op.source_id),
        )

    @staticmethod
    def _partner_company(p: CounterpartyCreate, results: Mapping[str, Applied]) -> int | None:
        """UT 11: the company the counterparty joins (its partner's), if any."""
        if p.company_id is not None:
            return int(p.company_id)
        if not p.company_of:
            return None
        made = results.get(p.company_of)
        if made is None:
            raise WriteError(tr("the company of the partner was not created in the CRM"))
        return int(made.target_id.split("/")[0])

    def _product(
        self, p: Product, onec_ref: str, product_id: int | None, *, found: bool = False
    ) -> Applied:
        if product_id is None and self.look_up(onec_ref):
            product_id = self.client.catalog.find_product_by_xml_id(onec_ref)  # made before?
            found = product_id is not None
        if product_id is None:
            refused = self.cannot_create(p)
            if refused is not None:
                raise refused
            product_id = self.client.catalog.add_product(p, xml_id=onec_ref)
        values = nz.product_values(p)
        return product_applied(str(product_id), onec_ref, values, found=found)

    def create_product(self, op: Operation, _results: Mapping[str, Applied]) -> Applied:
        p = op.payload
        assert isinstance(p, ProductCreate)
        return self._product(p.product, op.source_id, None)

    def cannot_create(self, p: Product) -> WriteError | None:
        """A unit or VAT rate the portal lacks: the product is refused, never created with
        a silent default (which the next run would read as a change made in the CRM)."""
        catalog = self.client.catalog
        if p.unit is not None and catalog.measure_id(p.unit.okei) is None:
            return no_unit(p.name, p.unit.okei)
        if catalog.vat_id(p.vat_rate) is None:
            return no_vat(p.name, p.vat_rate.value)
        return None

    def creates(self, ops: list[Operation], results: Mapping[str, Applied]) -> list[Outcome]:
        """Companies or products, created in one batch request; one outcome each.

        A record whose text holds a ``$`` goes alone: inside a batch, Bitrix24 would read
        ``$result[…]`` in a name as a reference to another command's answer. A record
        made before is found by its key (one batch request for all), never made twice.
        """
        alone = {op.op_id: self.one(op, results) for op in ops if "$" in repr(_record(op))}
        if alone:
            return merge(ops, alone, self.many, results)
        joining = [op for op in ops if _joins(op)]
        if joining:
            return merge(ops, self._join_many(joining, results), self.many, results)
        found = self._found_before(ops)
        if found:
            return merge(ops, found, self.many, results)
        if isinstance(ops[0].payload, ProductCreate):
            refused = {
                op.op_id: r for op in ops if (r := self.cannot_create(_product_of(op))) is not None
            }
            if refused:
                return merge(ops, refused, self.many, results)
            ids = self.client.catalog.add_products([(_product_of(op), op.source_id) for op in ops])
            return [
                m if isinstance(m, Exception) else self._product(_product_of(op), op.source_id, m)
                for op, m in zip(ops, ids, strict=True)
            ]
        made = self.client.companies.add_companies(
            [(_counterparty_of(op), op.source_id) for op in ops], originator_id=ORIGINATOR
        )
        return [
            m if isinstance(m, Exception) else self._company_made(op, m)
            for op, m in zip(ops, made, strict=True)
        ]

    def _join_many(
        self, ops: list[Operation], results: Mapping[str, Applied]
    ) -> dict[str, Outcome]:
        """UT 11: counterparties joining their partner's company, their requisites added in
        one batch request. A requisite a full read may have seen is looked up by its key
        first (one batch request for all): found, it is relinked, never added twice."""
        out: dict[str, Outcome] = {}
        company: dict[str, int] = {}
        for op in ops:
            try:
                partner = self._partner_company(_payload(op), results)
            except WriteError as exc:
                out[op.op_id] = exc
                continue
            assert partner is not None  # a joining create names the company it joins
            company[op.op_id] = partner
        ops = [op for op in ops if op.op_id in company]
        refs = [
            op.source_id for op in ops if _counterparty_of(op).inn and self.look_up(op.source_id)
        ]
        found = self.client.companies_by_origin(ORIGINATOR, refs) if refs else {}
        adds: list[Operation] = []
        for op in ops:
            cp = _counterparty_of(op)
            requisite_id = found.get(op.source_id, (None, None))[1]
            if requisite_id is None and cp.inn:
                adds.append(op)
                continue
            out[op.op_id] = self._company_applied(
                cp, op.source_id, company[op.op_id], requisite_id, found=requisite_id is not None
            )
        made = self.client.companies.add_requisites(
            [(company[op.op_id], _counterparty_of(op), op.source_id) for op in adds]
        )
        for op, m in zip(adds, made, strict=True):
            out[op.op_id] = (
                m
                if isinstance(m, Exception)
                else self._company_applied(
                    _counterparty_of(op), op.source_id, company[op.op_id], m, found=False
                )
            )
        return out

    def _found_before(self, ops: list[Operation]) -> dict[str, Outcome]:
        """Creates whose key is on a CRM record already: completed where half-made,
        relinked, never made twice."""
        ops = [op for op in ops if self.look_up(op.source_id)]
        refs = [op.source_id for op in ops]
        out: dict[str, Outcome] = {}
        if not ops:
            return out
        if isinstance(ops[0].payload, ProductCreate):
            products = self.client.products_by_xml_id(refs)
            for op in ops:
                if op.source_id in products:
                    out[op.op_id] = self._product(
                        _product_of(op), op.source_id, products[op.source_id], found=True
                    )
            return out
        companies = self.client.companies_by_origin(ORIGINATOR, refs)
        for op in ops:
            if op.source_id in companies:
                out[op.op_id] = self._company_found(op, *companies[op.source_id])
        return out

    def _company_found(
        self, op: Operation, company_id: int | None, requisite_id: int | None
    ) -> Outcome:
        try:
            if company_id is None and requisite_id is not None:
                _owner, company_id = self.client.companies.requisite_owner(requisite_id)
            made = self._company(
                _counterparty_of(op),
                op.source_id,
                company_id,
                look_up=False,
                requisite_id=requisite_id,
            )
        except CrmError as exc:
            return exc  # in its category already: the executor decides (errors.py)
        return replace(made, result={FOUND: True})

    def _company_made(self, op: Operation, ids: tuple[int, int | None]) -> Applied:
        company_id, requisite_id = ids
        cp = _counterparty_of(op)
        if requisite_id is None and cp.inn:  # add the missing requisite
            return self._company(cp, op.source_id, company_id, look_up=self.look_up(op.source_id))
        return self._company_applied(cp, op.source_id, company_id, requisite_id, found=False)

    def company_of_key(self, op: Unsettled) -> Applied | None:
        companies = self.client.companies
        company_id = companies.find_company_by_origin(ORIGINATOR, op.source_id)
        if company_id is None:  # a requisite added to a partner's company?
            requisite_id = companies.find_requisite_by_xml_id(op.source_id)
            if requisite_id is None:
                return None
            _owner_type, company_id = companies.requisite_owner(requisite_id)
        values = op.values
        cp = Counterparty(
            str(values.get("name") or ""),
            CounterpartyKind.ORGANIZATION if values.get("kpp") else CounterpartyKind.SOLE_TRADER,
            inn=str(values.get("inn") or ""),
            kpp=str(values.get("kpp") or ""),
        )
        return self._company(cp, op.source_id, company_id)  # completes a half-made one


def _product_of(op: Operation) -> Product:
    assert isinstance(op.payload, ProductCreate)
    return op.payload.product


def _payload(op: Operation) -> CounterpartyCreate:
    assert isinstance(op.payload, CounterpartyCreate)
    return op.payload


def _joins(op: Operation) -> bool:
    """UT 11: a counterparty whose requisite joins its partner's company."""
    return isinstance(op.payload, CounterpartyCreate) and op.payload.joins


def _counterparty_of(op: Operation) -> Counterparty:
    assert isinstance(op.payload, CounterpartyCreate)
    return op.payload.counterparty


def product_applied(
    product_id: str, onec_ref: str, values: dict[str, Any], *, found: bool = False
) -> Applied:
    return Applied(
        product_id,
        EntityType.PRODUCT,
        onec_ref=onec_ref,
        crm_id=product_id,
        onec_values=values,
        crm_values={**values, "article": ""},  # the CRM catalog holds no article
        result={FOUND: True} if found else {},
    )
