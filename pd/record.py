"""Records declared like dataclasses, without the dataclass decorator's import-time cost.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` (and, frozen,
``__setattr__``, ``__delattr__`` and ``__hash__``) as source text and compiles it with
``exec`` when its module is imported: about a millisecond a class, which every command paid
for the catalog's, the contacts' and the configuration's classes (docs/benchmarks.md,
Start-up). A `Record`'s methods are compiled once, here, and read the fields from the class's
annotations, in order; a class attribute is the field's default, `fresh(list)` a new list for
each record::

    class Times(Frozen):
        calendar: str
        response: timedelta
        resolution: timedelta = timedelta(0)

Records do not inherit fields from one another (a record class subclasses `Record` or
`Frozen` directly).
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

R = TypeVar("R", bound="Record")
T = TypeVar("T")


class _Fresh:
    __slots__ = ("factory",)

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory


def fresh(factory: Callable[[], T]) -> T:
    """A default built anew for each record: ``statuses: list[str] = fresh(list)``."""
    return _Fresh(factory)  # type: ignore[return-value]


class Record:
    """Fields in annotation order, built positionally or by name; compared by value; mutable."""

    _fields: tuple[str, ...] = ()
    _defaults: dict[str, Any] = {}
    __hash__ = None  # type: ignore[assignment]  # mutable and compared by value, like a dataclass

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(cls.__dict__.get("__annotations__", {}))
        cls._defaults = {n: cls.__dict__[n] for n in cls._fields if n in cls.__dict__}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields, defaults = self._fields, self._defaults
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} fields, {len(args)} given")
        values: dict[str, Any] = dict(zip(fields, args))
        taken = 0
        for name in fields[len(args):]:
            if name in kwargs:
                values[name] = kwargs[name]
                taken += 1
            elif name in defaults:
                default = defaults[name]
                values[name] = default.factory() if isinstance(default, _Fresh) else default
            else:
                raise TypeError(f"{type(self).__name__}() missing field {name!r}")
        if taken != len(kwargs):  # a keyword that is no field, or names a field given by position
            wrong = next(k for k in kwargs if k not in fields or fields.index(k) < len(args))
            raise TypeError(f"{type(self).__name__}() got an unexpected or repeated field {wrong!r}")
        self.__dict__.update(values)

    def _values(self) -> tuple:
        d = self.__dict__
        return tuple(d[name] for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()  # type: ignore[attr-defined]
        return NotImplemented

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={self.__dict__[n]!r}' for n in self._fields)})"

    def as_dict(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name in self._fields}

    def replace(self: R, **changes: Any) -> R:
        """A copy with some fields changed (what dataclasses.replace does for a dataclass)."""
        unknown = [k for k in changes if k not in self._fields]
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {unknown[0]!r}")
        return type(self)(**{**self.as_dict(), **changes})


class Frozen(Record):
    """A record whose fields cannot be assigned after it is built; hashable by value."""

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}: {type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}: {type(self).__name__} is immutable")

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self._values())
