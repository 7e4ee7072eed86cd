"""The accounts gRPC entrypoint."""
from __future__ import annotations

from lianyi.accounts.v1 import accounts_service_pb2 as pb
from lianyi.accounts.v1 import accounts_service_pb2_grpc as pb_grpc
from servicekit.auth import Principal
from servicekit.grpc_server import Registration
from services.intake.accounts.handlers import Accounts


def _principal(principal: Principal) -> pb.Principal:
    return pb.Principal(subject=principal.subject, role=principal.role, scope=list(principal.scope),
                        entity_id=principal.entity_id, name=principal.name)


class AccountsServicer(pb_grpc.AccountsServiceServicer):
    def __init__(self, accounts: Accounts):
        self.accounts = accounts

    def Authenticate(self, request, context):
        return _principal(self.accounts.authenticate(request.username, request.password))

    def AuthenticateApiKey(self, request, context):
        return _principal(self.accounts.authenticate_api_key(request.api_key))

    def CreateAccount(self, request, context):
        account = self.accounts.create_account(
            username=request.username, password=request.password, role=request.role,
            scope_id=request.scope_id, entity_id=request.entity_id, display_name=request.display_name,
        )
        return pb.Account(account_id=account.account_id, username=account.username, role=account.role,
                          scope_id=account.scope_id, entity_id=account.entity_id,
                          display_name=account.display_name)

    def IssueApiKey(self, request, context):
        key_id, api_key = self.accounts.issue_api_key(name=request.name, scope_id=request.scope_id)
        return pb.IssuedApiKey(key_id=key_id, api_key=api_key)

    def RevokeApiKey(self, request, context):
        self.accounts.revoke_api_key(request.key_id)
        return pb.RevokeApiKeyResponse()


    def IssueAccessCode(self, request, context):
        code, expires_at = self.accounts.issue_access_code(request.household_id)
        issued = pb.IssuedAccessCode(access_code=code)
        issued.expires_at.FromDatetime(expires_at)
        return issued

    def AuthenticateAccessCode(self, request, context):
        return _principal(self.accounts.authenticate_access_code(request.access_code))


def registration(accounts: Accounts) -> Registration:
    return Registration(
        service_name="lianyi.accounts.v1.AccountsService",
        servicer=AccountsServicer(accounts),
        add=pb_grpc.add_AccountsServiceServicer_to_server,
    )
