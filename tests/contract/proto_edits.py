"""Edits to a copy of proto/, found through descriptors and their source spans.

The elements to break are chosen from whatever proto/ holds (the first string field of a top-level
message, the first RPC...), not named, so these tests keep working as proto/ grows and changes.
"""
from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

# Field numbers in descriptor.proto, the steps of a SourceCodeInfo path.
FILE_MESSAGE, FILE_ENUM, FILE_SERVICE = 4, 5, 6
MESSAGE_FIELD, MESSAGE_ENUM = 2, 4
ENUM_VALUE = 2
SERVICE_METHOD = 2
FIELD_NUMBER, FIELD_TYPE = 3, 5
# Field numbers protobuf keeps for itself; a renumbered field must avoid them.
IMPLEMENTATION_RESERVED = range(19000, 20000)


@dataclass(frozen=True)
class Element:
    """One declaration in one file: where it is (a SourceCodeInfo path) and its descriptor."""
    file: descriptor_pb2.FileDescriptorProto
    path: tuple[int, ...]
    parent: object  # the message, enum or service that declares it (or the file)
    descriptor: object


def copy_workspace(source: Path, target: Path) -> Path:
    """buf.yaml and the .proto files of `source`, copied to `target` (the snapshot stays behind)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "buf.yaml", target / "buf.yaml")
    shutil.copytree(source / "proto", target / "proto", ignore=shutil.ignore_patterns("*.binpb"))
    return target


class ProtoTree:
    """A workspace copy of proto/ and the descriptors (with source info) it was built from."""

    def __init__(self, workspace: Path, built: descriptor_pb2.FileDescriptorSet):
        self.workspace = workspace
        # The module's own files; the rest of the image is imports (the well-known types).
        self.files = [f for f in built.file if (workspace / "proto" / f.name).is_file()]

    # --- finding something to break -------------------------------------------------------------

    def string_field(self) -> Element:
        """The first plain string field (not in a oneof) of a top-level message. Files that declare
        custom options are passed over: other files write their messages as option literals, so
        removing one of their fields is a compile error, not a breaking change."""
        for file in self.files:
            if file.extension:
                continue
            for m, message in enumerate(file.message_type):
                for f, field in enumerate(message.field):
                    if field.type == field.TYPE_STRING and not field.HasField("oneof_index"):
                        return Element(file, (FILE_MESSAGE, m, MESSAGE_FIELD, f), message, field)
        raise LookupError("proto/ has no top-level message with a plain string field")

    def enum_value(self) -> Element:
        """The last value of the first enum that has more than one (top-level enums first)."""
        for file in self.files:
            enums = [((FILE_ENUM, e), enum) for e, enum in enumerate(file.enum_type)]
            enums += [((FILE_MESSAGE, m, MESSAGE_ENUM, e), enum)
                      for m, message in enumerate(file.message_type)
                      for e, enum in enumerate(message.enum_type)]
            for path, enum in enums:
                if len(enum.value) > 1:
                    last = len(enum.value) - 1
                    return Element(file, (*path, ENUM_VALUE, last), enum, enum.value[last])
        raise LookupError("proto/ has no enum with more than one value")

    def rpc(self) -> Element:
        """The first RPC of the first service."""
        for file in self.files:
            for s, service in enumerate(file.service):
                if service.method:
                    return Element(file, (FILE_SERVICE, s, SERVICE_METHOD, 0), service, service.method[0])
        raise LookupError("proto/ has no RPC")

    def service(self) -> Element:
        """The first service."""
        for file in self.files:
            if file.service:
                return Element(file, (FILE_SERVICE, 0), file, file.service[0])
        raise LookupError("proto/ has no service")

    def unreferenced_message(self) -> Element:
        """The first top-level message no field or RPC names: an event payload, carried in an Any."""
        referenced = self._referenced_type_names()
        for file in self.files:
            for m, message in enumerate(file.message_type):
                name = f"{file.package}.{message.name}"
                if not any(ref == name or ref.startswith(name + ".") for ref in referenced):
                    return Element(file, (FILE_MESSAGE, m), file, message)
        raise LookupError("proto/ has no message that nothing refers to (no event payload?)")

    def standalone_package(self) -> tuple[str, list[str]]:
        """A package no other package imports, and its files."""
        by_package: dict[str, list[str]] = {}
        for file in self.files:
            by_package.setdefault(file.package, []).append(file.name)
        for package, names in by_package.items():
            imported_elsewhere = any(dep in names for file in self.files if file.package != package
                                     for dep in file.dependency)
            if not imported_elsewhere:
                return package, names
        raise LookupError("every package of proto/ is imported by another")

    def _referenced_type_names(self) -> set[str]:
        names: set[str] = set()

        def visit(message: descriptor_pb2.DescriptorProto) -> None:
            names.update(f.type_name.lstrip(".") for f in [*message.field, *message.extension] if f.type_name)
            for nested in message.nested_type:
                visit(nested)

        for file in self.files:
            for message in file.message_type:
                visit(message)
            names.update(f.type_name.lstrip(".") for f in file.extension if f.type_name)
            for service in file.service:
                for method in service.method:
                    names.update((method.input_type.lstrip("."), method.output_type.lstrip(".")))
        return names

    # --- breaking it ----------------------------------------------------------------------------

    def replace(self, element: Element, path: tuple[int, ...], text: str, *, expect: str) -> None:
        """Replace the source span of `path` in the element's file; `expect` (a regex) must match it."""
        source_file = self.workspace / "proto" / element.file.name
        source = source_file.read_text(encoding="utf-8")
        start, end = self._span(element.file, path, source)
        if not re.fullmatch(expect, source[start:end], flags=re.S):
            raise AssertionError(f"{element.file.name}: span {path} reads {source[start:end]!r}, "
                                 f"not /{expect}/: the source spans do not line up with the text")
        source_file.write_text(source[:start] + text + source[end:], encoding="utf-8")

    def remove_files(self, names: list[str]) -> None:
        for name in names:
            (self.workspace / "proto" / name).unlink()

    @staticmethod
    def _span(file: descriptor_pb2.FileDescriptorProto, path: tuple[int, ...], source: str) -> tuple[int, int]:
        for location in file.source_code_info.location:
            if tuple(location.path) == path:
                span = list(location.span)
                # [line, start column, end column] when it starts and ends on one line.
                start_line, start_col, end_line, end_col = (span if len(span) == 4
                                                            else (span[0], span[1], span[0], span[2]))
                line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
                return line_starts[start_line] + start_col, line_starts[end_line] + end_col
        raise LookupError(f"{file.name}: no source location for {path} (built without source info?)")


def unused_field_number(message: descriptor_pb2.DescriptorProto) -> int:
    """The lowest field number the message neither uses nor reserves."""
    taken = {f.number for f in message.field}
    ranges = [range(r.start, r.end) for r in [*message.reserved_range, *message.extension_range]]  # ends exclusive
    number = 1
    while number in taken or number in IMPLEMENTATION_RESERVED or any(number in r for r in ranges):
        number += 1
    return number
