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


@cache
def _hints(cls: type) -> dict[str, Any]:
    return get_type_hints(cls)


def _decode(hint: Any, data: Any, where: str) -> Any:
    origin = get_origin(hint)
    if hint is Any:
        return data
    if origin in (Union, types.UnionType):
        options = get_args(hint)
        if data is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _decode(option, data, where)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError("; ".join(errors) or f"{where}: {data!r} does not fit {hint}")
    if origin is Literal:
        if data not in get_args(hint):
            raise ValueError(f"{where}: {data!r} is not one of {get_args(hint)}")
        return data
    if origin in (tuple, list):
        _expect(data, list, where)
        args = get_args(hint)
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(data):
                raise ValueError(f"{where}: expected {len(args)} items, got {len(data)}")
            return tuple(_decode(a, d, where) for a, d in zip(args, data, strict=True))
        item = args[0] if args else Any
        items = [_decode(item, d, f"{where}[{i}]") for i, d in enumerate(data)]
        return tuple(items) if origin is tuple else items
    if origin in (frozenset, set):
        _expect(data, list, where)
        item = get_args(hint)[0] if get_args(hint) else Any
        return origin(_decode(item, d, f"{where}[{i}]") for i, d in enumerate(data))
    if origin is dict:
        _expect(data, dict, where)
        value_hint = get_args(hint)[1] if get_args(hint) else Any
        return {k: _decode(value_hint, v, f"{where}.{k}") for k, v in data.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        _expect(data, dict, where)
        if hasattr(hint, "from_dict"):
            try:
                return hint.from_dict(data)
            except (KeyError, TypeError) as exc:
                raise ValueError(f"{where}: {type(exc).__name__} {exc}") from None
        hints = _hints(hint)
        values = {}
        for f in dataclasses.fields(hint):
            if not f.init:
                continue
            if f.name in data:
                values[f.name] = _decode(hints[f.name], data[f.name], f"{where}.{f.name}")
            elif (f.default is dataclasses.MISSING
                  and f.default_factory is dataclasses.MISSING):
                raise ValueError(f"{where}: {f.name} is missing")
        return hint(**values)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(data)
    if hint is date:
        _expect(data, str, where)
        return date.fromisoformat(data)
    if hint is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise ValueError(f"{where}: {data!r} is not a number")
        return float(data)
    if hint in (int, str, bool):
        if type(data) is not hint:
            raise ValueError(f"{where}: {data!r} is not a {hint.__name__}")
        return data
    raise ValueError(f"{where}: cannot read a {hint!r}")


def _expect(data: Any, kind: type, where: str) -> None:
    if not isinstance(data, kind):
        raise ValueError(f"{where}: {data!r} is not a {kind.__name__}")
