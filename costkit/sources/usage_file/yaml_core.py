"""Read untrusted YAML safely: YAML 1.2 core-schema scalars, no duplicate keys, merge keys, bounded size.

PyYAML implements YAML 1.1, whose implicit typing changes numbers: `1:30` is 90 (base 60), `0100` is 64
(octal), `yes`/`on` are true, and `2026-02-30` is a date that crashes construction. Here plain scalars
resolve as the YAML 1.2 core schema does (https://yaml.org/spec/1.2.2/#1032-tag-resolution), with one
deliberate difference: a number written with a leading zero (`0100`, `012345670123`) stays text, because
YAML 1.1 and 1.2 read it differently and the writer may have meant either. A numeric field then refuses it
with the field's name; an account id keeps its digits.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any, ClassVar

import yaml

from costkit.errors import UsageFileError, quoted

MAX_BYTES = 10 * 1024 * 1024  # a usage file for thousands of resources is well under 1 MiB
MAX_NODES = 2_000_000  # YAML nodes after aliases are expanded (an alias bomb expands to billions)

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_INT = re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
LEADING_ZERO = re.compile(r"^[-+]?0[0-9]+$")
SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CoreLoader(_Base):  # type: ignore[misc]
    """A safe loader (the C one when PyYAML has libyaml) with YAML 1.2 core-schema typing that refuses
    duplicate keys: YAML would keep the last silently, dropping a resource from the estimate."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {}  # only the ones below

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults`: explicit keys may override merged ones
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key (a list or mapping as key): the base class explains it
                break
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {quoted(key)} (first at line {first + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-any-return]

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        return int(str(self.construct_scalar(node)), 0)

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        text = str(self.construct_scalar(node)).lower()
        return float(text.replace(".inf", "inf").replace(".nan", "nan"))


for _tag, _pattern, _first in (
    ("bool", _BOOL, "tTfF"),
    ("null", _NULL, ["~", "n", "N", ""]),
    ("int", _INT, "-+0123456789"),
    ("float", _FLOAT, "-+.0123456789"),
    ("merge", re.compile(r"^<<$"), "<"),
):
    CoreLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", _pattern, list(_first))
CoreLoader.add_constructor("tag:yaml.org,2002:int", CoreLoader.construct_yaml_int)
CoreLoader.add_constructor("tag:yaml.org,2002:float", CoreLoader.construct_yaml_float)


def read_text(path: Path, *, what: str = "usage file") -> str:
    """The file's text, refused unless it is a regular file of at most MAX_BYTES (a FIFO, /dev/zero or a
    directory would block, never end or be misread)."""
    name = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise UsageFileError(name, None, "no such file", hint="check the path; examples/ has usage files") from None
    except OSError as exc:
        raise UsageFileError(name, None, f"cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageFileError(name, None, "is a directory, not a usage file", hint="pass a .yaml file")
    if not stat.S_ISREG(info.st_mode):
        raise UsageFileError(name, None, f"is not a regular file (a device, pipe or socket), not a {what}")
    limit = f"{MAX_BYTES // (1024 * 1024)} MiB"
    if info.st_size > MAX_BYTES:
        raise UsageFileError(name, None, f"is {info.st_size:,} bytes; a {what} may be at most {limit}")
    try:
        with open(path, "rb", opener=lambda p, flags: os.open(p, flags | getattr(os, "O_NONBLOCK", 0))) as handle:
            data = handle.read(MAX_BYTES + 1)  # the file may grow after stat
    except OSError as exc:
        raise UsageFileError(name, None, f"cannot be read ({exc.strerror})") from None
    if len(data) > MAX_BYTES:
        raise UsageFileError(name, None, f"is larger than {limit}, the most a {what} may be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageFileError(name, None, f"is not UTF-8 text (byte {exc.start})") from None


def parse(text: str, name: str) -> Any:
    """Parse one YAML document, refusing alias bombs before they are expanded."""
    loader = CoreLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node, name)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise UsageFileError(name, where, f"is not valid YAML: {problem}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:  # e.g. `!!int 08`, `!!timestamp x`
        raise UsageFileError(name, None, f"is not valid YAML: a value cannot be read ({type(exc).__name__})") from None
    finally:
        loader.dispose()


def _check_size(root: yaml.Node, name: str) -> None:
    """Count nodes as if every alias were expanded (each node's size memoised, so this is linear in the
    document) and refuse more than MAX_NODES, or an alias that contains itself."""
    sizes: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            active.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in children)
            if sizes[key] > MAX_NODES:
                raise UsageFileError(
                    name,
                    None,
                    f"expands to more than {MAX_NODES:,} YAML values (aliases repeat what they point to)",
                    hint="a usage file does not need this many values; is it an alias bomb?",
                )
            continue
        if key in sizes:
            continue
        if key in active:
            raise UsageFileError(name, None, "is not valid YAML: an alias refers to a value containing itself")
        active.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return []
