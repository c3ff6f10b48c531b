"""Frozen value objects for the types the hot commands load, without `dataclasses`.

`eval "$(modelstudio-setup env)"` and `key get` (shell rc files, apiKeyHelper) have a budget
of 5 x `python -c pass`, and `dataclasses` alone took a third of it: importing it loads
`inspect` (~7 ms), and every class it decorates compiles its methods with `exec` at import
(~0.7 ms a class; the config, the catalog, the endpoints and the key stores hold 17 of them).
A `Record` behaves like a frozen dataclass from one shared, precompiled implementation:
fields in declaration order from the class annotations (defaults and `field(default_factory)`
as in dataclasses), construction by position or keyword, equality and hash by fields, a
repr, immutability, and `replace(record, **changes)`. Types the hot paths never load stay
dataclasses. Type checkers see a Record as a frozen dataclass (`dataclass_transform`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_kwargs: object) -> Callable[[type], type]:
        return lambda cls: cls  # at run time only a marker for type checkers


_R = TypeVar("_R", bound="Record")
_NO_DEFAULT: Any = object()


class FrozenRecordError(AttributeError):
    """A field of a Record was assigned or deleted (like dataclasses.FrozenInstanceError)."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], Any]) -> Any:
    """A field whose default is made fresh for each record (a dict, another record)."""
    return _Factory(default_factory)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class Record:
    """Base of a frozen value type: subclass it and annotate the fields."""

    _record_fields: ClassVar[tuple[str, ...]] = ()
    _record_defaults: ClassVar[dict[str, Any]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = list(cls._record_fields)
        defaults = dict(cls._record_defaults)
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063  # inspect is what we avoid
        for name, annotation in own.items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            if name not in fields:
                fields.append(name)
            if name in cls.__dict__:
                value = cls.__dict__[name]
                defaults[name] = value
                if isinstance(value, _Factory):
                    delattr(cls, name)  # an instance always has its own value
            elif name in defaults:
                del defaults[name]
        seen_default = False
        for name in fields:  # as in dataclasses: no required field after a default
            if name in defaults:
                seen_default = True
            elif seen_default:
                raise TypeError(f"non-default field {name!r} follows a default in {cls.__name__}")
        cls._record_fields = tuple(fields)
        cls._record_defaults = defaults

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._record_fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} positional arguments")
        values = dict(zip(fields, args, strict=False))
        for name, value in kwargs.items():
            if name not in fields:
                raise TypeError(f"{type(self).__name__}() got an unexpected argument {name!r}")
            if name in values:
                raise TypeError(f"{type(self).__name__}() got {name!r} twice")
            values[name] = value
        for name in fields:
            if name not in values:
                default = self._record_defaults.get(name, _NO_DEFAULT)
                if default is _NO_DEFAULT:
                    raise TypeError(f"{type(self).__name__}() is missing the field {name!r}")
                values[name] = default.make() if isinstance(default, _Factory) else default
        self.__dict__.update(values)

    def _values(self) -> tuple[Any, ...]:
        return tuple(self.__dict__[name] for name in self._record_fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={self.__dict__[name]!r}" for name in self._record_fields)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenRecordError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenRecordError(f"cannot delete field {name!r}")


def replace(record: _R, /, **changes: Any) -> _R:
    """A copy of `record` with some fields changed (dataclasses.replace for a Record)."""
    values = {name: record.__dict__[name] for name in record._record_fields}
    for name in changes:
        if name not in values:
            raise TypeError(f"{type(record).__name__} has no field {name!r}")
    values.update(changes)
    return type(record)(**values)
