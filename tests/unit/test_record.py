"""app.core.record: a Record behaves like the frozen dataclass it replaces on the hot paths."""

from __future__ import annotations

import copy
import pickle

import pytest

from app.core.record import FrozenRecordError, Record, field, replace


class Point(Record):
    x: int
    y: int = 0
    tags: dict[str, str] = field(default_factory=dict)


def test_fields_defaults_and_factories():
    a, b = Point(1), Point(x=1)
    assert (a.x, a.y, a.tags) == (1, 0, {})
    assert a == b and hash(Point(1, 2, ())) == hash(Point(1, 2, ()))  # type: ignore[arg-type]
    assert a.tags is not b.tags  # a fresh default for each record
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags={})"
    assert Point(1) != Point(2) and Point(1) != (1, 0, {})


def test_wrong_arguments_fail_like_a_dataclass():
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, z=2)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, x=1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        Point(1, 2, {}, 4)  # type: ignore[call-arg]


def test_frozen():
    p = Point(1)
    with pytest.raises(FrozenRecordError):
        p.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del p.y


def test_replace_copy_and_pickle():
    p = Point(1, 2)
    assert replace(p, y=3) == Point(1, 3) and p.y == 2
    with pytest.raises(TypeError):
        replace(p, z=1)
    assert copy.deepcopy(p) == p and pickle.loads(pickle.dumps(p)) == p


def test_a_required_field_after_a_default_is_refused():
    with pytest.raises(TypeError):

        class Bad(Record):
            a: int = 0
            b: int  # type: ignore[misc]
