"""Reading knowledge YAML so that every problem can name its file, line and entry.

pyyaml drops positions once it builds Python objects; the loader below keeps them on every
mapping (and each key), rejects duplicate keys (which pyyaml would silently overwrite), and
`Entry` turns a mapping into typed values while recording issues instead of raising.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from .issues import Issue

# libyaml's parser when available (several times faster); construction stays in Python.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineMap(dict[Any, Any]):
    """A YAML mapping that remembers the 1-based line it starts on and the line of each key."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[Any, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class _LineLoader(_BaseLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> LineMap:
    loader.flatten_mapping(node)
    mapping = LineMap(node.start_mark.line + 1)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a list or mapping cannot be a key", key_node.start_mark)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)

_ENTRY_ID = re.compile(r"""^\s*(?:-\s*)?(?:id|key|control)\s*:\s*["']?([^"'\s#,}]+)""")


def read_yaml(path: Path, issues: list[Issue]) -> Any:
    """The parsed document, or None after recording one issue when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        issues.append(Issue(path, 0, "", f"cannot read file: {exc.strerror}"))
        return None
    except UnicodeDecodeError:
        issues.append(Issue(path, 0, "", "cannot read file: not UTF-8 text"))
        return None
    try:
        return yaml.load(text, Loader=_LineLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        issues.append(Issue(path, line, _entry_before(text, line), f"invalid YAML: {problem}"))
        return None


def _entry_before(text: str, line: int) -> str:
    """The id of the entry a broken line sits in, found by looking upwards for `id:`/`key:`."""
    for candidate in reversed(text.splitlines()[:line]):
        found = _ENTRY_ID.match(candidate)
        if found:
            return found.group(1)
    return ""


@dataclass
class Entry:
    """Typed reads from one mapping; each problem becomes an issue at the offending key's line."""

    data: LineMap
    path: Path
    entry: str
    issues: list[Issue]

    def problem(self, key: str | None, message: str) -> None:
        line = self.data.line_of(key) if key else self.data.line
        self.issues.append(Issue(self.path, line, self.entry, message))

    def reject_unknown(self, allowed: set[str]) -> None:
        """Typos in field names would otherwise vanish silently."""
        for key in self.data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.problem(str(key), f"unknown field {key!r}{hint}")

    def text(self, key: str, *, required: bool = True) -> str:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                self.problem(None, f"missing {key!r}")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(key, f"{key!r} must be text")
            return ""
        return str(value).strip()

    def texts(self, key: str, *, min_items: int = 0) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.problem(key, f"{key!r} must be a list of text")
            return ()
        if len(value) < min_items:
            self.problem(key if key in self.data else None,
                         f"{key!r} needs at least {min_items} item(s), has {len(value)}")
        return tuple(item.strip() for item in value)

    def number(self, key: str) -> float:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.problem(key if key in self.data else None, f"{key!r} must be a positive number")
            return 0.0
        return float(value)

    def day(self, key: str, *, required: bool = False) -> date | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(None, f"missing {key!r}")
            return None
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.problem(key, f"{key!r} must be a date (YYYY-MM-DD), got {value!r}")
            return None

    def choice(self, key: str, options: tuple[str, ...], *, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value not in options:
            self.problem(key if key in self.data else None,
                         f"{key!r} must be one of {', '.join(options)}; got {value!r}")
            return default or options[0]
        return str(value)

    def optional_mapping(self, key: str) -> LineMap:
        """The mapping under `key`, or an empty one when absent (an issue if not a mapping)."""
        value = self.data.get(key)
        if value is not None and not isinstance(value, LineMap):
            self.problem(key, f"{key!r} must be a mapping")
        return value if isinstance(value, LineMap) else LineMap(self.data.line_of(key))

    def child(self, key: str) -> Entry | None:
        """The nested mapping under `key` as an entry of the same name; None (after one issue)
        when it is missing or not a mapping, so its fields are not each reported missing."""
        value = self.data.get(key)
        if isinstance(value, LineMap):
            return Entry(value, self.path, self.entry, self.issues)
        self.problem(key if key in self.data else None, f"{key!r} must be a mapping")
        return None

    def entries(self, key: str, id_key: str) -> list[Entry]:
        """The list under `key` as entries named by their `id_key` field."""
        value = self.data.get(key, [])
        if not isinstance(value, list):
            self.problem(key, f"{key!r} must be a list")
            return []
        found = []
        for item in value:
            if not isinstance(item, LineMap):
                self.problem(key, f"every item of {key!r} must be a mapping")
                continue
            found.append(Entry(item, self.path, str(item.get(id_key) or "?"), self.issues))
        return found
