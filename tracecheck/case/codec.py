"""JSON (de)serialisation of tracecheck's frozen dataclasses, for storing them in the case.

Owns the one generic mapping between `tracecheck.model` records (nested dataclasses, tuples,
`X | None`, enums) and plain JSON values: enums are stored by value, tuples as lists, and the
reader rebuilds the exact types from the dataclass annotations. It never touches a database
and never decides what is stored; the case store calls it.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from typing import Any, TypeVar, Union

from tracecheck import model

T = TypeVar("T")

CODEC_VERSION = 2
"""Bumped whenever the JSON shape of a stored record changes; stored shards carry it."""

_HINTS: dict[type, dict[str, Any]] = {}


class RecordError(ValueError):
    """A stored record that does not decode: damaged JSON, or a shape `cls` cannot take."""


def to_jsonable(obj: object) -> Any:
    """Turn a dataclass tree into JSON-ready values (enums by value, tuples as lists)."""
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, tuple | list):
        return [to_jsonable(item) for item in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if obj is None or isinstance(obj, str | int | float | bool):
        return obj
    raise TypeError(f"cannot store a value of type {type(obj).__name__}")


def dumps(obj: object) -> str:
    """Compact, key-sorted JSON text of a dataclass tree. Text that is not valid Unicode (the
    surrogate escapes of a file name that is not UTF-8) is written as `\\udcXX` escapes,
    which SQLite can store and `loads` turns back into the exact same text."""
    value = to_jsonable(obj)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, vars(model))
    return _HINTS[cls]


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of annotated type `tp` from what `to_jsonable` produced."""
    origin = typing.get_origin(tp)
    if tp is Any or tp is object:
        return data
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        if len(non_none) == 1:
            return from_jsonable(non_none[0], data)
        for arg in non_none:
            if arg in (str, int, float, bool) and isinstance(data, arg):
                return data
        return data
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], item) for item in data)
        return tuple(from_jsonable(a, item) for a, item in zip(args, data, strict=True))
    if origin is dict:
        key_tp, val_tp = typing.get_args(tp)
        return {from_jsonable(key_tp, k): from_jsonable(val_tp, v) for k, v in data.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is model.Locator and isinstance(data, str):  # stored as text before codec 2
        return model.Locator.parse_legacy(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = _hints(tp)
        if "at" in hints and "at" not in data and "locator" in data:  # before codec 2
            data = {**data, "at": data["locator"]}
        kwargs = {
            f.name: from_jsonable(hints[f.name], data[f.name])
            for f in dataclasses.fields(tp)
            if f.name in data
        }
        return tp(**kwargs)
    if tp is float and isinstance(data, int):
        return float(data)
    return data


def loads(cls: type[T], text: str) -> T:
    """Parse JSON text written by `dumps` back into an instance of `cls`; `RecordError` when
    the text is not such a record (a damaged database)."""
    try:
        result: T = from_jsonable(cls, json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:  # the shapes bad data takes here
        raise RecordError(f"not a stored {getattr(cls, '__name__', 'record')} "
                          f"({type(exc).__name__})") from None
    return result
