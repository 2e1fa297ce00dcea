"""The configuration reference, generated from the settings model: every setting, its environment variable, its
type, its default and what it does. `jnt config reference` prints it; docs/configuration.md is its output, and a
test keeps the two equal, so the reference never lags behind the code."""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from .settings import Settings

HEADER = """# Configuration reference

Every JNT process (connector, federated catalogue, trust authority, command line) reads the same settings, from
environment variables (prefix `JNT_`) or a `.env` file in the working directory; command-line options override
them. Secrets (marked *secret*) are never logged, and `jnt backup` leaves them out of its archives.

Generated from `connector/settings.py` by `jnt config reference` — do not edit by hand: change the settings model
and run `jnt config reference > docs/configuration.md`.

| setting | environment variable | type | default | description |
|---|---|---|---|---|
"""


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " \\| ".join(_type_name(a) for a in args) + (" (optional)" if len(args) < len(
            typing.get_args(annotation)) else "")
    if origin is list:
        return f"list of {_type_name(args[0])}" if args else "list"
    if annotation is Path:
        return "path"
    name = getattr(annotation, "__name__", str(annotation))
    return {"SecretStr": "*secret*", "str": "text", "int": "integer", "float": "number", "bool": "true/false"}.get(
        name, name)


def _default(field: FieldInfo) -> str:
    if field.default_factory is not None:
        return "computed at start-up"
    if field.default is PydanticUndefined or field.default is None:
        return "—"
    value = field.default
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return "`" + ",".join(map(str, value)) + "`" if value else "—"
    return f"`{value}`"


def _limits(field: FieldInfo) -> str:
    bounds = []
    for item in field.metadata:
        for attr, word in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if getattr(item, attr, None) is not None:
                bounds.append(f"{word} {getattr(item, attr)}")
    return f" ({', '.join(bounds)})" if bounds else ""


def reference() -> str:
    prefix = Settings.model_config.get("env_prefix", "")
    lines = [HEADER]
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|") + _limits(field)
        lines.append(f"| `{name}` | `{prefix}{name.upper()}` | {_type_name(field.annotation)} | {_default(field)} | "
                     f"{description} |\n")
    return "".join(lines)
