"""The directory's gRPC entrypoint."""
from __future__ import annotations

from lianyi.directory.v1 import directory_service_pb2 as pb
from lianyi.directory.v1 import directory_service_pb2_grpc as pb_grpc
from servicekit.grpc_server import Registration
from services.intake.directory.handlers import Directory, ImportRow
from services.intake.directory.messages import attributes_from, entity_to_proto


class DirectoryServicer(pb_grpc.DirectoryServiceServicer):
    def __init__(self, directory: Directory):
        self.directory = directory

    def CreateEntity(self, request, context):
        return entity_to_proto(self.directory.create(
            kind=request.kind, name=request.name, parent_id=request.parent_id,
            external_id=request.external_id, attributes=attributes_from(request.attributes),
        ))

    def UpdateEntity(self, request, context):
        return entity_to_proto(self.directory.update(
            request.entity_id,
            name=request.name if request.HasField("name") else None,
            attributes=attributes_from(request.attributes) if request.HasField("attributes") else None,
            expected_version=request.expected_version,
        ))

    def GetEntity(self, request, context):
        return entity_to_proto(self.directory.get(request.entity_id))

    def ListEntities(self, request, context):
        entities, token = self.directory.list(kind=request.kind, within_id=request.within_id,
                                              page_size=request.page_size, page_token=request.page_token)
        return pb.ListEntitiesResponse(entities=[entity_to_proto(e) for e in entities], next_page_token=token)

    def ImportEntities(self, request, context):
        outcomes = self.directory.import_rows([
            ImportRow(kind=r.kind, external_id=r.external_id, parent_external_id=r.parent_external_id,
                      name=r.name, attributes=attributes_from(r.attributes, f"rows[{number}].attributes"))
            for number, r in enumerate(request.rows, 1)
        ])
        return pb.ImportEntitiesResponse(outcomes=[
            pb.ImportOutcome(row=o.row, outcome=o.outcome, entity_id=o.entity_id, reason=o.reason)
            for o in outcomes
        ])


def registration(directory: Directory) -> Registration:
    return Registration(
        service_name="lianyi.directory.v1.DirectoryService",
        servicer=DirectoryServicer(directory),
        add=pb_grpc.add_DirectoryServiceServicer_to_server,
    )
