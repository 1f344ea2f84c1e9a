"""pd.record: what the catalog, contacts, settings and desk inputs kept of dataclasses."""
from __future__ import annotations

import copy
import pickle

import pytest

from pd.catalog import Person, Staff
from pd.desk import ListFilter, RegisterInput
from pd.record import Frozen, Record, fresh


class Point(Frozen):
    x: int
    y: int = 0
    tags: list = fresh(list)


class Box(Record):
    items: list = fresh(list)
    label: str = ""


def test_built_by_position_or_name_with_defaults():
    assert Point(1) == Point(x=1) == Point(1, 0, [])
    assert Point(1, y=2).y == 2
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=[])"
    assert list(vars(Point(3, 4))) == ["x", "y", "tags"]  # field order, as json.dumps(vars(p)) relies on
    assert Point(1).as_dict() == {"x": 1, "y": 0, "tags": []}


@pytest.mark.parametrize("build", [lambda: Point(), lambda: Point(1, x=2), lambda: Point(1, z=3),
                                   lambda: Point(1, 2, [], 4)])
def test_a_wrong_call_is_a_type_error(build):
    with pytest.raises(TypeError):
        build()


def test_a_fresh_default_is_not_shared():
    a, b = Box(), Box()
    a.items.append(1)
    assert b.items == [] and Point(1).tags is not Point(1).tags


def test_frozen_refuses_assignment_and_hashes_by_value():
    p = Point(1, 2, ())
    with pytest.raises(AttributeError):
        p.x = 5
    with pytest.raises(AttributeError):
        del p.y
    assert hash(p) == hash(Point(1, 2, ())) and p != Point(1, 3, ())
    assert p.replace(y=9) == Point(1, 9, ()) and p.y == 2
    with pytest.raises(TypeError):
        p.replace(z=1)


def test_a_mutable_record_is_compared_by_value_and_unhashable():
    b = Box([1], "a")
    b.label = "b"
    assert b == Box([1], "b") and b != Box([1], "a")
    with pytest.raises(TypeError):
        hash(b)


def test_copies_and_pickles_keep_the_fields():
    s = Staff("jberzins", "Jānis Bērziņš", "j@vp.gov.lv", "+37126123456", ("expert",), "mgr", ("EPASTS",))
    for clone in (copy.copy(s), copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert clone == s and clone.has("expert")
        with pytest.raises(AttributeError):
            clone.login = "x"
    assert Person("A").as_dict() == {"name": "A", "email": "", "phone": ""}


def test_the_desk_inputs_keep_their_defaults():
    data = RegisterInput(name="Jānis", service="EPASTS")
    assert data.urgent is False and data.missing() == ["institution", "description", "channel"]
    data.institution = "VP"
    assert "institution" not in data.missing()
    assert ListFilter().statuses == [] and ListFilter().statuses is not ListFilter().statuses
