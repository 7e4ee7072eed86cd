"""The breaking-change check catches each kind of break, made on a copy of today's proto/."""
from __future__ import annotations

import pytest

from tests.contract.buf_cli import REPOSITORY, Finding, breaking_changes, build_image, descriptor_set
from tests.contract.proto_edits import FIELD_NUMBER, FIELD_TYPE, ProtoTree, copy_workspace, unused_field_number


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    """A copy of proto/ as it is, its image (built as the snapshot is) and its source spans."""
    workspace = copy_workspace(REPOSITORY, tmp_path_factory.mktemp("pristine"))
    image = build_image(workspace, workspace / "contract.binpb")
    sources = descriptor_set(build_image(workspace, workspace / "sources.binpb", source_info=True))
    return workspace, image, sources


@pytest.fixture
def tree(pristine, tmp_path) -> ProtoTree:
    workspace, _, sources = pristine
    return ProtoTree(copy_workspace(workspace, tmp_path / "workspace"), sources)


@pytest.fixture
def check(pristine, tree):
    """The same check as on proto/: buf breaking on the edited copy, against the unedited image."""
    return lambda: breaking_changes(tree.workspace, pristine[1])


def assert_caught(findings: list[Finding], rule: str, *names: object) -> None:
    named = [f for f in findings if f.rule == rule and all(f'"{name}"' in f.message for name in names)]
    reported = "\n".join(map(str, findings)) or "nothing"
    assert named, f"expected {rule} naming {', '.join(map(str, names))}; buf reported:\n{reported}"


def test_a_removed_field_without_its_number_reserved_is_caught(tree, check):
    field = tree.string_field()
    tree.replace(field, field.path, "", expect=rf"(repeated\s+)?string\s+{field.descriptor.name}\s*=.*;")
    assert_caught(check(), "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
                  field.descriptor.number, field.descriptor.name, field.parent.name)


def test_a_renumbered_field_is_caught(tree, check):
    field = tree.string_field()
    new_number = unused_field_number(field.parent)
    tree.replace(field, (*field.path, FIELD_NUMBER), str(new_number), expect=str(field.descriptor.number))
    assert_caught(check(), "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
                  field.descriptor.number, field.descriptor.name, field.parent.name)


def test_a_field_changed_from_string_to_int64_is_caught(tree, check):
    field = tree.string_field()
    tree.replace(field, (*field.path, FIELD_TYPE), "int64", expect="string")
    assert_caught(check(), "FIELD_WIRE_JSON_COMPATIBLE_TYPE",
                  field.descriptor.number, field.descriptor.name, field.parent.name)


def test_a_removed_enum_value_is_caught(tree, check):
    value = tree.enum_value()
    tree.replace(value, value.path, "", expect=rf"{value.descriptor.name}\s*=.*;")
    assert_caught(check(), "ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED", value.descriptor.number, value.parent.name)


def test_a_removed_rpc_is_caught(tree, check):
    rpc = tree.rpc()
    tree.replace(rpc, rpc.path, "", expect=rf"rpc\s+{rpc.descriptor.name}\b.*")
    assert_caught(check(), "RPC_NO_DELETE", rpc.descriptor.name, rpc.parent.name)


def test_a_removed_service_is_caught(tree, check):
    service = tree.service()
    tree.replace(service, service.path, "", expect=rf"service\s+{service.descriptor.name}\b.*\}}")
    assert_caught(check(), "PACKAGE_SERVICE_NO_DELETE", service.descriptor.name)


def test_a_removed_event_payload_message_is_caught(tree, check):
    message = tree.unreferenced_message()
    tree.replace(message, message.path, "", expect=rf"message\s+{message.descriptor.name}\b.*\}}")
    assert_caught(check(), "PACKAGE_MESSAGE_NO_DELETE", message.descriptor.name)


def test_a_removed_package_is_caught(tree, check):
    package, files = tree.standalone_package()
    tree.remove_files(files)
    assert_caught(check(), "PACKAGE_NO_DELETE", package)


def test_a_removed_field_with_its_number_and_name_reserved_passes(tree, check):
    field = tree.string_field()
    name = field.descriptor.name if field.file.syntax == "editions" else f'"{field.descriptor.name}"'
    tree.replace(field, field.path, f"reserved {field.descriptor.number}; reserved {name};",
                 expect=rf"(repeated\s+)?string\s+{field.descriptor.name}\s*=.*;")
    findings = check()
    assert not findings, "buf reported:\n" + "\n".join(map(str, findings))


def test_a_removed_field_with_only_its_number_reserved_breaks_json(tree, check):
    # JSON names fields by name: a reader that no longer knows the name rejects a writer that still sends it.
    field = tree.string_field()
    tree.replace(field, field.path, f"reserved {field.descriptor.number};",
                 expect=rf"(repeated\s+)?string\s+{field.descriptor.name}\s*=.*;")
    findings = check()
    assert_caught(findings, "FIELD_NO_DELETE_UNLESS_NAME_RESERVED", field.descriptor.name, field.parent.name)
    assert not [f for f in findings if f.rule == "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"]
