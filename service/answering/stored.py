"""An answered question as JSON and back, losslessly: what the web app stores and exports from.

    data = answered_to_dict(item)          # JSON-ready: str, int, float, bool, None, list, dict
    assert answered_from_dict(data) == item

The question keeps every slot (`Question.to_dict`: answer, question and comment locations,
options, flags), the answer its reviewer-only `note`, the match its scores and understanding.
The engine's dataclasses are encoded field by field from their type hints, so a field added
to one of them is carried without a change here; a field missing from older stored data
takes its default.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from datetime import date
from enum import Enum
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .engine import Answer, AnsweredQuestion


def answered_to_dict(item: AnsweredQuestion) -> dict[str, Any]:
    """`item` as JSON-ready data: {"question", "answer", "match", "citations", "gap_control",
    "verdict"} (the fields of `AnsweredQuestion`)."""
    return _encode(item)


def answered_from_dict(data: dict[str, Any]) -> AnsweredQuestion:
    """The inverse of `answered_to_dict`. Raises ValueError on data of the wrong shape."""
    return _decode(AnsweredQuestion, data, "answered question")


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """{"value", "comment", "confidence", "status", "basis", "note"}: the stored answer, and
    (with the confidence rounded) the one `candor answer --json` prints."""
    return _encode(answer)


def answer_from_dict(data: dict[str, Any]) -> Answer:
    return _decode(Answer, data, "answer")


def to_json(value: Any) -> Any:
    """Any of the engine's values (a dataclass, tuple, enum, date…) as JSON-ready data."""
    return _encode(value)


def from_json(kind: Any, data: Any) -> Any:
    """The inverse of `to_json` for a value of type `kind` (e.g. `QuestionMatch`)."""
    return _decode(kind, data, getattr(kind, "__name__", str(kind)))


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(type(value), "from_dict") and hasattr(value, "to_dict"):
            return value.to_dict()  # its own JSON form (Question, Location)
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, frozenset | set):
        return [_encode(v) for v in sorted(value, key=_order)]  # the same set, the same JSON
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _order(value: Any) -> tuple[str, str]:
    return (type(value).__name__, value if isinstance(value, str) else repr(value))


def _decode(hint: Any, data: Any, where: str) -> Any:
    try:
        return _decoder(hint)(data)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


Decoder = Callable[[Any], Any]


@cache
def _decoder(hint: Any) -> Decoder:
    """A reader for values of type `hint`, built once per type: pages read hundreds."""
    origin = get_origin(hint)
    if hint is Any:
        return _same
    if origin in (Union, types.UnionType):
        return _union_decoder(hint)
    if origin is Literal:
        allowed = get_args(hint)

        def literal(data: Any) -> Any:
            if data not in allowed:
                raise ValueError(f"{data!r} is not one of {allowed}")
            return data
        return literal
    if origin in (tuple, list, frozenset, set):
        return _sequence_decoder(origin, get_args(hint))
    if origin is dict:
        read_value = _decoder(get_args(hint)[1] if get_args(hint) else Any)

        def mapping(data: Any) -> Any:
            _expect(data, dict)
            return {k: _at(k, read_value, v) for k, v in data.items()}
        return mapping
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_decoder(hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if hint is date:
        return lambda data: date.fromisoformat(_expect(data, str))
    if hint is float:
        def number(data: Any) -> float:
            if isinstance(data, bool) or not isinstance(data, int | float):
                raise ValueError(f"{data!r} is not a number")
            return float(data)
        return number
    if hint in (int, str, bool):
        def exact(data: Any) -> Any:
            if type(data) is not hint:
                raise ValueError(f"{data!r} is not a {hint.__name__}")
            return data
        return exact
    raise ValueError(f"cannot read a {hint!r}")


def _same(data: Any) -> Any:
    return data


def _union_decoder(hint: Any) -> Decoder:
    options = [o for o in get_args(hint) if o is not type(None)]
    nullable = len(options) < len(get_args(hint))

    def union(data: Any) -> Any:
        if data is None and nullable:
            return None
        errors = []
        for option in options:
            try:
                return _decoder(option)(data)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors) or f"{data!r} does not fit {hint}")
    return union


def _sequence_decoder(origin: type, args: tuple[Any, ...]) -> Decoder:
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
        readers = [_decoder(a) for a in args]

        def fixed(data: Any) -> Any:
            _expect(data, list)
            if len(data) != len(readers):
                raise ValueError(f"expected {len(readers)} items, got {len(data)}")
            return tuple(read(d) for read, d in zip(readers, data, strict=True))
        return fixed
    read_item = _decoder(args[0] if args else Any)
    build = list if origin is list else origin

    def sequence(data: Any) -> Any:
        _expect(data, list)
        try:
            return build([read_item(d) for d in data])
        except ValueError:
            return build([_at(i, read_item, d) for i, d in enumerate(data)])  # where it failed
    return sequence


def _dataclass_decoder(cls: type) -> Decoder:
    if hasattr(cls, "from_dict"):  # its own JSON form (Question, Location)
        def own(data: Any) -> Any:
            _expect(data, dict)
            try:
                return cls.from_dict(data)
            except (KeyError, TypeError) as exc:
                raise ValueError(f"{type(exc).__name__} {exc}") from None
        return own
    plan: list[tuple[str, Decoder, bool]] | None = None  # built at first use: types may nest

    def fields(data: Any) -> Any:
        nonlocal plan
        if plan is None:
            hints = get_type_hints(cls)
            plan = [(f.name, _decoder(hints[f.name]), f.default is dataclasses.MISSING
                     and f.default_factory is dataclasses.MISSING)
                    for f in dataclasses.fields(cls) if f.init]
        _expect(data, dict)
        values = {}
        name = ""
        try:
            for name, read, required in plan:
                if name in data:
                    values[name] = read(data[name])
                elif required:
                    raise ValueError("is missing")
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}" if str(exc) != "is missing"
                             else f"{name} is missing") from None
        return cls(**values)
    return fields


def _at(where: object, read: Decoder, data: Any) -> Any:
    try:
        return read(data)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _expect(data: Any, kind: type) -> Any:
    if not isinstance(data, kind):
        raise ValueError(f"{data!r} is not a {kind.__name__}")
    return data
