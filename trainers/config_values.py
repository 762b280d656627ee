"""Recipe values: command-line text to Python values, and values to a config field's type.

Why a module of its own: a YAML or command-line value has to become the type a TRL field
declares (``"3"`` an int, ``"1e-5"`` a float, ``"true"`` a bool) before TRL sees it, and a
value that does not fit must fail naming its key. This needs only PyYAML and the field
annotations, none of the config classes themselves (:mod:`trainers.config`), nor the recipe
scopes (:mod:`trainers.recipes.resolve`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Sequence
from typing import Any, Literal, Union

import yaml

from trainers.recipes import ConfigError


def init_fields(cls: type) -> dict[str, dataclasses.Field[Any]]:
    """A config class's settable fields (those its constructor takes), by name."""
    return {f.name: f for f in dataclasses.fields(cls) if f.init}


def field_hints(cls: type) -> dict[str, Any]:
    """A config class's field types, resolved where the annotations allow."""
    try:
        return typing.get_type_hints(cls)
    except Exception:  # some upstream annotations may not resolve; fall back to raw ones
        return {f.name: f.type for f in dataclasses.fields(cls)}


def parse_scalar(text: str) -> Any:
    """A command-line value: YAML scalars (true, null, 3, [1, 2]) plus 1e-5 style floats."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):
        for conv in (int, float):
            try:
                return conv(value)
            except ValueError:
                pass
    return value


def coerce(value: Any, hint: Any, key: str) -> Any:
    """Convert a YAML/CLI value to a field's declared type, or fail naming the key."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        # try the most specific types first so "3" is an int, not a str
        order = sorted(args, key=lambda a: {bool: 0, int: 1, float: 2}.get(a, 3))
        for arg in order:
            try:
                return coerce(value, arg, key)
            except ConfigError:
                continue
        raise ConfigError(f"{key}={value!r}: expected {hint}")
    if origin is Literal:
        if value in typing.get_args(hint):
            return value
        raise ConfigError(f"{key}={value!r}: expected one of {typing.get_args(hint)}")
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ConfigError(f"{key}={value!r}: expected true or false")
    if hint is int:
        if isinstance(value, bool):
            raise ConfigError(f"{key}={value!r}: expected an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise ConfigError(f"{key}={value!r}: expected an integer")
    if hint is float:
        if isinstance(value, bool):
            raise ConfigError(f"{key}={value!r}: expected a number")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{key}={value!r}: expected a number")
    if hint is str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        raise ConfigError(f"{key}={value!r}: expected a string")
    if origin in (list, Sequence) or hint is list:
        if isinstance(value, (list, tuple)):
            (inner,) = typing.get_args(hint) or (Any,)
            return [coerce(v, inner, key) for v in value]
        raise ConfigError(f"{key}={value!r}: expected a list")
    if origin is dict or hint is dict:
        if isinstance(value, dict):
            return value
        raise ConfigError(f"{key}={value!r}: expected a mapping")
    return value  # enums and other types: TrainingArguments converts them itself
