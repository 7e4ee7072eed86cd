"""/api/v1/accounts and /api/v1/api-keys: administrators add people and integrations."""
from __future__ import annotations

from datetime import UTC

from flask import Blueprint, Response

from lianyi.accounts.v1 import accounts_service_pb2 as pb
from services.gateway.auth import serves
from services.gateway.bodies import json_body
from services.gateway.clients import upstreams
from services.gateway.schemas import (
    AccessCodeCreate,
    AccessCodeIssued,
    AccountCreate,
    AccountOut,
    ApiKeyCreate,
    ApiKeyIssued,
)

blueprint = Blueprint("accounts", __name__, url_prefix="/api/v1")



@blueprint.post("/accounts")
@serves("lianyi.accounts.v1.AccountsService.CreateAccount")
def create_account():
    """Create an account.
    ---
    post:
      summary: An account for a person, in a role, scoped to a place within the caller's own scope
      requestBody:
        required: true
        content:
          application/json:
            schema: AccountCreate
      responses:
        201:
          description: Created
          content:
            application/json:
              schema: AccountOut
        404: {$ref: "#/components/responses/Problem"}
        409: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(AccountCreate)
    account = upstreams().accounts.CreateAccount(pb.CreateAccountRequest(**body.model_dump()),
                                                  **upstreams().call_options())
    return AccountOut(account_id=account.account_id, username=account.username, role=account.role,
                      scope_id=account.scope_id, entity_id=account.entity_id or None,
                      display_name=account.display_name).model_dump(mode="json"), 201


@blueprint.post("/api-keys")
@serves("lianyi.accounts.v1.AccountsService.IssueApiKey")
def issue_api_key():
    """Issue an API key.
    ---
    post:
      summary: A key for an integration, scoped to a place; the key is in this response only
      requestBody:
        required: true
        content:
          application/json:
            schema: ApiKeyCreate
      responses:
        201:
          description: Issued
          content:
            application/json:
              schema: ApiKeyIssued
    """
    body = json_body(ApiKeyCreate)
    issued = upstreams().accounts.IssueApiKey(pb.IssueApiKeyRequest(name=body.name, scope_id=body.scope_id),
                                               **upstreams().call_options())
    return ApiKeyIssued(key_id=issued.key_id, api_key=issued.api_key).model_dump(mode="json"), 201


@blueprint.delete("/api-keys/<key_id>")
@serves("lianyi.accounts.v1.AccountsService.RevokeApiKey")
def revoke_api_key(key_id: str):
    """Revoke an API key.
    ---
    delete:
      summary: The key stops working within seconds; revoking twice is harmless
      parameters:
        - {name: key_id, in: path, required: true, schema: {type: string}}
      responses:
        204:
          description: Revoked
    """
    upstreams().accounts.RevokeApiKey(pb.RevokeApiKeyRequest(key_id=key_id), **upstreams().call_options())
    return Response(status=204)


@blueprint.post("/access-codes")
@serves("lianyi.accounts.v1.AccountsService.IssueAccessCode")
def issue_access_code():
    """Issue a household's access code.
    ---
    post:
      summary: A code residents of the household sign in with (building leaders, for the buildings they lead)
      requestBody:
        required: true
        content:
          application/json:
            schema: AccessCodeCreate
      responses:
        201:
          description: Issued; the household's previous code stops working
          content:
            application/json:
              schema: AccessCodeIssued
        404: {$ref: "#/components/responses/Problem"}
    """
    body = json_body(AccessCodeCreate)
    issued = upstreams().accounts.IssueAccessCode(pb.IssueAccessCodeRequest(household_id=body.household_id),
                                                   **upstreams().call_options())
    return AccessCodeIssued(access_code=issued.access_code,
                            expires_at=issued.expires_at.ToDatetime(tzinfo=UTC)).model_dump(mode="json"), 201
