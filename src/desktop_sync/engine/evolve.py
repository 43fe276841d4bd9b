"""``dataclasses.replace`` for the planner's hot loops (issue 18).

A plan of 100,000 records copies some 85,000 records with a field or two changed (the
invoice sent to 1C and its rows, a CRM company seen through a requisite). A frozen
dataclass's own ``__init__`` sets each field through ``object.__setattr__``; for a
slotted class, the copy below sets the slots through their descriptors instead, in a
function made once per class and set of changed fields, as ``dataclasses`` makes
``__init__``. It is about twice as fast as ``replace`` and gives the same object.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any, TypeVar

_T = TypeVar("_T")
_MAKERS: dict[tuple[type, tuple[str, ...]], Callable[..., Any]] = {}


def evolve(obj: _T, **changes: Any) -> _T:
    """``dataclasses.replace(obj, **changes)``: the same new object, made faster."""
    key = (type(obj), tuple(changes))
    make = _MAKERS.get(key)
    if make is None:
        make = _MAKERS[key] = _maker(*key)
    result: _T = make(obj, **changes)
    return result


def _replace(obj: Any, **changes: Any) -> Any:
    return replace(obj, **changes)


def _maker(cls: type, changed: tuple[str, ...]) -> Callable[..., Any]:
    """A function ``(obj, **changed)`` -> the copy; ``replace`` itself where a class
    does more in ``__init__`` than set its fields (``__post_init__``, a field that is
    not an argument) or keeps them in no slot."""
    every = fields(cls)
    names = [f.name for f in every]
    slots = [_slot(cls, name) for name in names]
    if (
        hasattr(cls, "__post_init__")
        or any(not f.init for f in every)
        or not set(changed) <= set(names)
        or any(s is None for s in slots)
        or any(name.startswith("_") for name in names)  # the made function's own names
    ):
        return _replace
    setters = {f"_set_{i}": s.__set__ for i, s in enumerate(slots) if s is not None}
    body = "".join(
        f"    _set_{i}(_copy, {name if name in changed else '_obj.' + name})\n"
        for i, name in enumerate(names)
    )
    arguments = ", ".join(("_obj", "*", *changed) if changed else ("_obj",))
    source = f"def make({arguments}):\n    _copy = _new(_cls)\n{body}    return _copy\n"
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **setters}
    exec(source, scope)  # noqa: S102 - made from the dataclass's own field names
    make: Callable[..., Any] = scope["make"]
    return make


def _slot(cls: type, name: str) -> types.MemberDescriptorType | None:
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            return found if isinstance(found, types.MemberDescriptorType) else None
    return None
