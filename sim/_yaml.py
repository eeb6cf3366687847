"""The guarded YAML reader of scenario files, ``--set`` and ``--param`` values: hostile YAML (alias bombs, deep
nesting, recursive aliases, duplicate keys, impossible dates, base-60 numbers) ends in one :class:`InputError` line
in milliseconds. Light on purpose (PyYAML only), so that the CLI can check a scenario file before it imports the
heavy modules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError

MAX_YAML_DEPTH = 64
"""Deepest nesting of lists and mappings a scenario may have (a real one has 5)."""
MAX_YAML_NODES = 200_000
"""Most values a scenario may hold once its aliases are expanded (a real one has a few hundred): a bigger one is an
alias bomb, refused before it is expanded."""
_YAML11_SURPRISES = re.compile(r"(?i:yes|no|on|off)|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
"""Plain scalars YAML 1.1 reads as booleans (``NO`` -> false) or base-60 numbers (``12:15`` -> 735)."""


def _line(node) -> int:
    return node.start_mark.line + 1


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with guards: nesting depth, duplicate keys, impossible dates; it records where YAML 1.1
    read a plain scalar as a boolean or a base-60 number, for a "quote it" hint."""

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.depth = 0
        self.surprises: dict[int, str] = {}  # id(node) -> its text

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                event = self.peek_event()
                raise InputError(
                    f"nested deeper than {MAX_YAML_DEPTH} levels at line {event.start_mark.line + 1}",
                    allowed="a scenario mapping (see 'pvsim schema')",
                )
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if isinstance(node, yaml.ScalarNode) and node.style is None and _YAML11_SURPRISES.fullmatch(node.value):
            if node.tag == "tag:yaml.org,2002:bool":
                self.surprises[id(node)] = node.value
            elif node.tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):  # never meant in a scenario
                raise InputError(
                    f"YAML 1.1 reads {node.value[:40]} at line {_line(node)} as a base-60 number "
                    f"({self.construct_object(node)}); quote it ('{node.value[:40]}') for text",
                    allowed="a quoted string or a plain number",
                )
        return node

    def construct_mapping(self, node, deep=False):
        seen: dict = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: PyYAML names it
            if first is not None:
                raise InputError(
                    f"duplicate key '{str(key)[:60]}' on lines {first} and {_line(key_node)}",
                    allowed="each key once per mapping (the second would silently win)",
                )
            seen[key] = _line(key_node)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise InputError(
                f"impossible date at line {_line(node)} ({exc})",
                value=node.value[:40],
                allowed="a real calendar date YYYY-MM-DD",
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _expanded_size(node, sizes: dict[int, int], active: set[int]) -> int:
    """Number of values ``node`` stands for once its aliases are expanded (each shared node counted at every use;
    computed once per node, so a bomb costs no more than its text)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in active:
        raise InputError("an alias refers to itself (a recursive structure)", allowed="plain values")
    active.add(key)
    children = node.value if isinstance(node.value, list) else []
    total = 1
    for child in children:
        for part in child if isinstance(child, tuple) else (child,):
            total += _expanded_size(part, sizes, active)
            if total > MAX_YAML_NODES:
                break
    active.discard(key)
    sizes[key] = total = min(total, MAX_YAML_NODES + 1)
    return total


def _surprise_paths(node, surprises: dict[int, str], path: tuple = ()) -> dict[str, str]:
    """Dotted key -> text of every recorded YAML 1.1 surprise below ``node`` (for the hint in an error)."""
    out = {}
    if id(node) in surprises:
        out[".".join(path)] = surprises[id(node)]
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                out.update(_surprise_paths(v, surprises, (*path, k.value)))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out.update(_surprise_paths(v, surprises, (*path, str(i))))
    return out


def load_yaml(text: str, *, file: str | Path | None = None, field: str | None = None) -> tuple[Any, dict[str, str]]:
    """Read YAML text safely: the value, and where YAML 1.1 read a plain scalar as a boolean or a base-60 number
    (dotted key -> text). Refused with one :class:`InputError` (naming ``file`` or ``field``), in well under a
    second: syntax errors, nesting beyond :data:`MAX_YAML_DEPTH`, more than :data:`MAX_YAML_NODES` values once
    aliases are expanded, recursive aliases, duplicate keys (naming both lines), impossible dates."""
    runs = re.findall(r"[\[{](?:\s*[\[{]){" + str(MAX_YAML_DEPTH) + ",}", text[:1_000_000])  # the cheap case first
    if runs:
        line = text.count("\n", 0, text.index(runs[0])) + 1
        raise InputError(
            f"nested deeper than {MAX_YAML_DEPTH} levels at line {line}",
            file=file,
            field=field,
            allowed="a scenario mapping (see 'pvsim schema')",
        )
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        if _expanded_size(node, {}, set()) > MAX_YAML_NODES:
            raise InputError(
                f"more than {MAX_YAML_NODES:,} values once its aliases are expanded (an alias bomb?)",
                allowed="a scenario mapping (see 'pvsim schema')",
            )
        return loader.construct_document(node), _surprise_paths(node, loader.surprises)
    except InputError as exc:
        raise InputError(
            exc.detail, file=file, field=exc.field or field, value=exc.value, allowed=exc.allowed
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"YAML syntax error at {where}{problem}", file=file, field=field) from None
    except RecursionError:
        raise InputError(
            "nested too deeply", file=file, field=field, allowed=f"at most {MAX_YAML_DEPTH} levels"
        ) from None
    finally:
        loader.dispose()


def quote_hint(error: InputError, surprises: dict[str, str], option: str | None = None) -> InputError:
    """``error`` with a "quote it" hint when its key's value was a YAML 1.1 boolean or base-60 number."""
    key = (error.field or "").removeprefix(f"{option} " if option else "")
    text = surprises.get(key)
    if text is None:
        return error
    hint = f"YAML reads {text} as {'a base-60 number' if ':' in text else 'a boolean'}; quote it ('{text}') for text"
    return InputError(
        f"{error.detail} ({hint})", file=error.file, field=error.field, value=error.value, allowed=error.allowed
    )


def check_file(path: str | Path) -> None:
    """Read a scenario file with the guards of :func:`load_yaml` (a plain, readable UTF-8 file only); the CLI calls
    it before importing the rest of pvsim, so that hostile YAML is refused at once."""
    path = Path(path)
    try:
        if not path.is_file():
            return  # load_scenario says what is wrong with it
        load_yaml(path.read_text(encoding="utf-8"), file=path)
    except (OSError, UnicodeDecodeError):
        return  # load_scenario says what is wrong with it
