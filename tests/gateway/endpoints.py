"""Every route the gateway registers, as a request that reaches it: the endpoints that need
credentials (REST, and Open311's service request) with the roles each serves, the public ones with
the RPC each asks first, and the few routes that are no endpoint, each with why
(test_endpoint_table.py holds the app to this)."""
from __future__ import annotations

from services.contract import ROLES
from tests.gateway.callers import PLATFORM_KEY
from tests.gateway.canned import N1, TALK

WINDOW = "intake.duplicates.window_days"  # a county setting intake owns
TOPIC = "/api/v1/topics/topic-0001"
TASK = "/api/v1/tasks/task-0001"
MATTER = "/api/v1/matters/task-0001"

# REST endpoints: (method, path, JSON body).
ENDPOINTS = {
    "submit concern": ("POST", "/api/v1/concerns", {"neighbourhood_id": N1, "channel": "online", "category": "noise",
                                                   "description": "夜间噪音"}),
    "read concern": ("GET", "/api/v1/concerns/concern-0001", None),
    "read pool": ("GET", f"/api/v1/neighbourhoods/{N1}/pool", None),
    "read entity": ("GET", f"/api/v1/directory/entities/{N1}", None),
    "list entities": ("GET", f"/api/v1/directory/entities?within={N1}", None),
    "create entity": ("POST", "/api/v1/directory/entities", {"kind": "venue", "name": "议事点", "parent_id": N1}),
    "update entity": ("PATCH", f"/api/v1/directory/entities/{N1}", {"name": "幸福小区"}),
    "import": ("POST", "/api/v1/directory/import", {"rows": [
        {"kind": "venue", "external_id": "V-1", "parent_external_id": "N1", "name": "临时议事点"}]}),
    "create account": ("POST", "/api/v1/accounts", {"username": "resident.x", "password": "a long enough password",
                                                    "role": "resident", "scope_id": N1}),
    "issue key": ("POST", "/api/v1/api-keys", {"name": "county platform", "scope_id": N1}),
    "revoke key": ("DELETE", "/api/v1/api-keys/key-0001", None),
    "read audit": ("GET", "/api/v1/audit", None),
    "issue access code": ("POST", "/api/v1/access-codes", {"household_id": "household-0001"}),
    "list categories": ("GET", "/api/v1/categories", None),
    "online batch": ("POST", "/api/v1/concerns/online-batches", {"source": "wechat:业主群", "messages": [
        {"source_message_id": "m-1", "neighbourhood_id": N1, "text": "垃圾分类点满了"}]}),
    "record visit": ("POST", "/api/v1/visits", {"household_id": "household-0001", "visited_on": "2026-11-01"}),
    "visit coverage": ("GET", f"/api/v1/neighbourhoods/{N1}/visit-coverage?from=2026-11-01&to=2026-11-30", None),
    "record talk": ("POST", "/api/v1/talk-sessions", TALK),
    "list talks": ("GET", f"/api/v1/neighbourhoods/{N1}/talk-sessions", None),
    "triage concern": ("POST", "/api/v1/concerns/concern-0001/triage", {"route": "direct"}),
    "merge concerns": ("POST", "/api/v1/concerns/concern-0001/merge", {"concern_ids": ["concern-0002"]}),
    "similar concerns": ("GET", "/api/v1/concerns/concern-0001/similar", None),
    "list concerns": ("GET", f"/api/v1/neighbourhoods/{N1}/concerns?status=received", None),
    "list rules": ("GET", f"/api/v1/triage-rules?scope_id={N1}", None),
    "set rule": ("PUT", "/api/v1/triage-rules", {"scope_id": N1, "category": "noise", "route": "direct"}),
    "delete rule": ("DELETE", "/api/v1/triage-rules/rule-0001", None),
    "list settings": ("GET", f"/api/v1/settings?scope_id={N1}", None),
    "read setting": ("GET", f"/api/v1/settings/{WINDOW}?scope_id={N1}", None),
    "set setting": ("PUT", f"/api/v1/settings/{WINDOW}", {"scope_id": N1, "value": 7}),
    "clear setting": ("DELETE", f"/api/v1/settings/{WINDOW}?scope_id={N1}", None),
    "draft topic": ("POST", f"/api/v1/neighbourhoods/{N1}/topics", {"title": "楼道堆物清理",
                                                                   "concern_ids": ["concern-0001"]}),
    "list topics": ("GET", f"/api/v1/neighbourhoods/{N1}/topics?state=published", None),
    "read agenda": ("GET", f"/api/v1/neighbourhoods/{N1}/agenda?month=2026-11", None),
    "read topic": ("GET", TOPIC, None),
    "read topic's concerns": ("GET", f"{TOPIC}/concerns", None),
    "withdraw topic": ("POST", f"{TOPIC}/withdraw", None),
    "publish topic": ("POST", f"{TOPIC}/publish", None),
    "vote": ("PUT", f"{TOPIC}/vote", {"choice": "yes"}),
    "read tally": ("GET", f"{TOPIC}/tally", None),
    "close vote": ("POST", f"{TOPIC}/close-vote", None),
    "release concerns": ("POST", f"{TOPIC}/release", {"fate": "pool"}),
    "propose panel": ("GET", f"{TOPIC}/panel-proposal?size=6", None),
    "confirm panel": ("PUT", f"{TOPIC}/panel", {"member_ids": [f"member-000{i}" for i in range(1, 6)]}),
    "give opinion": ("POST", f"{TOPIC}/opinions", {"text": "先通知再清理"}),
    "record consensus": ("POST", f"{TOPIC}/consensus", {"consensus": "一周内清理"}),
    "record decision": ("POST", f"{TOPIC}/decision", {
        "attendees": [{"body": "party_org"}, {"body": "owners_committee"}, {"body": "property_company"}],
        "resolution": "清理楼道", "actions": [{"description": "清理3号楼楼道", "deadline": "2026-11-27"}]}),
    "read deliberation figures": ("GET", f"/api/v1/deliberation-figures?place_id={N1}&period=2026-11", None),
    "list tasks": ("GET", "/api/v1/tasks?list=pool&state=open", None),
    "read task": ("GET", TASK, None),
    "read concern's task": ("GET", "/api/v1/concerns/concern-0001/task", None),
    "read decided actions": ("GET", "/api/v1/decisions/decision-0001/actions", None),
    "claim task": ("POST", f"{TASK}/claim", None),
    "assign task": ("POST", f"{TASK}/assignment", {"member_id": "member-0001"}),
    "add helper": ("POST", f"{TASK}/helpers", {"helper_id": "volunteer-0001"}),
    "note progress": ("POST", f"{TASK}/notes", {"note": "已联系物业"}),
    "record part": ("POST", f"{TASK}/parts", {"part": "清理楼道", "result": "已清理"}),
    "resolve task": ("POST", f"{TASK}/resolution", {"result": "已清理完毕"}),
    "escalate task": ("POST", f"{TASK}/escalation", {"reason": "需要城管执法"}),
    "whistle": ("POST", f"{TASK}/whistle", {"department_ids": ["department-0001"]}),
    "report for department": ("POST", f"{TASK}/department-reports", {"kind": "report_in", "callback_id": "cb-1"}),
    "read own ledger": ("GET", "/api/v1/ledger?from=2026-10-01&to=2026-12-31", None),
    "read member's ledger": ("GET", "/api/v1/members/member-0001/ledger", None),
    "list deliveries": ("GET", "/api/v1/platform/deliveries?state=pending", None),
    "read dispatch figures": ("GET", f"/api/v1/dispatch-figures?place_id={N1}&from=2026-11-01&to=2026-11-30", None),
    "list matters": ("GET", "/api/v1/matters?list=mine&state=awaiting_rating", None),
    "read county figures": ("GET", f"/api/v1/figures?place_id={N1}&period=2026-Q4", None),
    "read rates": ("GET", f"/api/v1/rates?place_id={N1}&period=2026-Q4", None),
    "read matter": ("GET", MATTER, None),
    "rate matter": ("POST", f"{MATTER}/rating", {"rating": "satisfied", "comment": "很及时"}),
    "read own review": ("GET", "/api/v1/review?quarter=2026-Q4", None),
    "read member's review": ("GET", "/api/v1/members/member-0001/review", None),
    "list member reviews": ("GET", f"/api/v1/neighbourhoods/{N1}/reviews?quarter=2026-Q4", None),
    "read review bulletin": ("GET", f"/api/v1/neighbourhoods/{N1}/review-bulletin?format=csv", None),
    "calculate annual ratings": ("POST", "/api/v1/annual-ratings/2026/versions", None),
    "publish annual ratings": ("POST", "/api/v1/annual-ratings/2026/versions/1/publish", None),
    "list annual versions": ("GET", "/api/v1/annual-ratings/2026/versions", None),
    "read annual ratings": ("GET", f"/api/v1/annual-ratings/2026?place_id={N1}&format=csv", None),
}

EVERYONE = frozenset(ROLES)
STAFF = {"member", "building_leader", "party_secretary"}
ADMINS = {"community_admin", "township_admin", "county_admin"}
PARTNERS = {"owners_committee", "property_company"}
# The roles each endpoint serves (those of the RPC it calls), written out rather than read from
# the protos, so that an endpoint guarded by the wrong RPC's roles fails.
SERVES = {
    "submit concern": EVERYONE - PARTNERS - {"department"},
    "read concern": EVERYONE - PARTNERS - {"department"},
    "read pool": EVERYONE - {"department", "resident"},
    "read entity": EVERYONE - {"resident"},
    "list entities": EVERYONE - {"resident"},
    "create entity": ADMINS,
    "update entity": ADMINS,
    "import": ADMINS | {"integration"},
    "create account": ADMINS,
    "issue key": {"county_admin"},
    "revoke key": {"county_admin"},
    "read audit": {"county_admin"},
    "issue access code": ADMINS | {"building_leader", "party_secretary"},
    "list categories": EVERYONE,
    "online batch": ADMINS | {"party_secretary", "integration"},
    "record visit": ADMINS | STAFF,
    "visit coverage": EVERYONE - PARTNERS - {"department", "resident"},
    "record talk": ADMINS | STAFF,
    "list talks": ADMINS | STAFF,
    "triage concern": ADMINS | {"party_secretary"},
    "merge concerns": ADMINS | {"party_secretary"},
    "similar concerns": EVERYONE - PARTNERS - {"department", "resident"},
    "list concerns": EVERYONE - PARTNERS - {"department", "resident"},
    "list rules": EVERYONE - PARTNERS - {"department", "resident"},
    "set rule": ADMINS | {"party_secretary"},
    "delete rule": ADMINS | {"party_secretary"},
    # Neighbourhood staff, administrators and integrations read; who writes where is the services'.
    "list settings": STAFF | ADMINS | {"integration"},
    "read setting": STAFF | ADMINS | {"integration"},
    "set setting": ADMINS | {"party_secretary"},
    "clear setting": ADMINS | {"party_secretary"},
    # Deliberation: the party secretary takes every step of a topic; residents read published topics
    # and vote; members of the panel give opinions; departments take no part.
    "draft topic": {"party_secretary"},
    "list topics": EVERYONE - {"department"},
    "read agenda": EVERYONE - {"department"},
    "read topic": EVERYONE - {"department"},
    # GetTopic's roles but residents', who never see concern ids.
    "read topic's concerns": EVERYONE - PARTNERS - {"department", "resident"},
    "withdraw topic": {"party_secretary"},
    "publish topic": {"party_secretary"},
    "vote": {"resident"},
    "read tally": EVERYONE - {"department"},
    "close vote": {"party_secretary"},
    "release concerns": {"party_secretary"},
    "propose panel": {"party_secretary"},
    "confirm panel": {"party_secretary"},
    "give opinion": STAFF,
    "record consensus": {"party_secretary"},
    "record decision": {"party_secretary"},
    "read deliberation figures": EVERYONE - {"department", "resident"},
    # Dispatch: everyone who handles or oversees work reads tasks (residents follow their concern at
    # intake); each step is for those who take it; departments and the county platform report in.
    "list tasks": EVERYONE - {"resident"},
    "read task": EVERYONE - {"resident"},
    "read concern's task": EVERYONE - {"resident"},
    "read decided actions": STAFF | ADMINS,
    "claim task": STAFF,
    "assign task": {"party_secretary"},
    "add helper": STAFF,
    "note progress": STAFF | PARTNERS | {"community_admin", "township_admin"},
    "record part": PARTNERS | {"party_secretary", "community_admin"},
    "resolve task": STAFF | {"community_admin", "township_admin"},
    "escalate task": STAFF | {"community_admin"},
    "whistle": {"township_admin"},
    "report for department": {"department", "integration"},
    "read own ledger": STAFF | ADMINS,
    "read member's ledger": STAFF | ADMINS,
    "list deliveries": {"township_admin", "county_admin"},
    "read dispatch figures": ADMINS | {"party_secretary"},
    # Evaluation: residents and the neighbourhood's staff read and rate (staff record a rating given in
    # person); administrators read; partners, departments and integrations take no part.
    "list matters": STAFF | ADMINS | {"resident"},
    "read matter": STAFF | ADMINS | {"resident"},
    "rate matter": STAFF | {"resident"},
    # The county's figures: those who may read every section (dispatch's figures are the narrowest).
    "read county figures": ADMINS | {"party_secretary"},
    # The three rates: staff and administrators (a member their own), a department its own, the
    # county platform; residents and partners read none.
    "read rates": STAFF | ADMINS | {"department", "integration"},
    # The quarterly review: a member reads their own; the secretary and administrators review.
    "read own review": STAFF | ADMINS,
    "read member's review": STAFF | ADMINS,
    "list member reviews": ADMINS | {"party_secretary"},
    "read review bulletin": ADMINS | {"party_secretary"},
    # The annual rating: the county calculates and publishes; the secretary and administrators read.
    "calculate annual ratings": {"county_admin"},
    "publish annual ratings": {"county_admin"},
    "list annual versions": ADMINS | {"party_secretary"},
    "read annual ratings": ADMINS | {"party_secretary"},
}

# Open311's one write: a form, refused in the spec's format, serving those who may submit a concern.
OPEN311_REQUEST = ("POST", "/open311/v2/requests.json",
                   {"service_code": "noise", "description": "楼道里堆满杂物", "address_id": N1})
OPEN311_REQUEST_SERVES = SERVES["submit concern"]
OPEN311_FORM_KEY = {"api_key": PLATFORM_KEY}  # how the spec sends credentials

# Endpoints anyone may call without credentials: (method, path, JSON body, the RPC asked first,
# or None if the gateway answers by itself).
PUBLIC = {
    "sign in": ("POST", "/api/v1/auth/token", {"username": "n1.secretary", "password": "a long enough password"},
                "Authenticate"),
    "open311 discovery": ("GET", "/open311/v2/discovery.json", None, None),
    "open311 services": ("GET", "/open311/v2/services.xml", None, "ListCategories"),
    "open311 service definition": ("GET", "/open311/v2/services/noise.json", None, "ListCategories"),
    "open311 service requests": ("GET", "/open311/v2/requests.xml", None, "ListCategories"),
    "open311 service request": ("GET", "/open311/v2/requests/concern-0001.json", None, "ListPublicConcerns"),
    "open311 token": ("GET", "/open311/v2/tokens/concern-0001.xml", None, "ListPublicConcerns"),
}

# Routes that are no endpoint of the API: none carries anyone's data or calls a service's API
# (readiness asks only their gRPC health). Flask endpoint name: (a path it serves, why it is in no table).
NOT_ENDPOINTS = {
    "ops.healthz": ("/healthz", "the liveness probe: says only that the process runs"),
    "ops.readyz": ("/readyz", "the readiness probe: lists the upstreams' gRPC health, asks nothing of the API"),
    "ops.openapi": ("/openapi.json", "the API's own description, public by design (test_openapi_document.py)"),
    "open311.unknown": ("/open311/v2/no/such/thing.json", "Open311's catch-all: 404 or 405 in the spec's "
                                                          "format for what it does not serve (test_open311_edges.py)"),
    "static": ("/static/anything.js", "Flask's own static route: the gateway has no static folder"),
}
