"""The demo county `make run` loads into an empty var/: two townships, four communities, eight
neighbourhoods with their buildings, households, residents, party organisations, members of every
kind, owners' committees and property companies, plus county departments, accounts for every
role and an integration API key. Never run against a real deployment's database."""
from __future__ import annotations

import json
import os
from pathlib import Path

from servicekit import topics
from servicekit.clock import Clock
from servicekit.database import Database
from servicekit.outbox import Outbox
from services.intake.accounts.handlers import Accounts
from services.intake.directory import storage as directory_storage
from services.intake.directory.handlers import ImportRow
from services.intake.wiring import assemble

DEMO_PASSWORD = "lianyi-demo-2026"

TOWNSHIPS = {"T1": "城关镇", "T2": "海滨镇"}
COMMUNITIES = {"CM1": ("T1", "南门社区"), "CM2": ("T1", "北门社区"), "CM3": ("T2", "渔港社区"), "CM4": ("T2", "新城社区")}
NEIGHBOURHOODS = {
    "N1": ("CM1", "幸福小区"), "N2": ("CM1", "和美家园"), "N3": ("CM2", "锦绣花园"), "N4": ("CM2", "书香苑"),
    "N5": ("CM3", "海景湾"), "N6": ("CM3", "渔家新村"), "N7": ("CM4", "阳光城"), "N8": ("CM4", "滨江名苑"),
}
DEPARTMENTS = {"D1": "住房和城乡建设局", "D2": "城市管理局", "D3": "生态环境局", "D4": "公安局", "D5": "民政局"}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林"
MEMBER_KINDS = ("serving", "retired_cadre", "floating", "resident", "serving", "retired_cadre")

# username: (role, scope external id, scope kind, own entity external id, own entity kind)
ACCOUNTS = {
    "county.admin": ("county_admin", "C1", "county", "", ""),
    "chengguan.admin": ("township_admin", "T1", "township", "", ""),
    "nanmen.admin": ("community_admin", "CM1", "community", "", ""),
    "n1.secretary": ("party_secretary", "N1", "neighbourhood", "M1-1", "member"),
    "n1.member": ("member", "N1", "neighbourhood", "M1-2", "member"),
    "n1.leader": ("building_leader", "N1", "neighbourhood", "M1-3", "member"),
    "n1.owners": ("owners_committee", "N1", "neighbourhood", "", ""),
    "n1.property": ("property_company", "N1", "neighbourhood", "", ""),
    "n1.resident": ("resident", "N1", "neighbourhood", "H1-1-1", "household"),
    "n2.secretary": ("party_secretary", "N2", "neighbourhood", "M2-1", "member"),
    "n5.secretary": ("party_secretary", "N5", "neighbourhood", "M5-1", "member"),
    "dept.housing": ("department", "C1", "county", "D1", "department"),
}


def _name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + "阿姨叔伯姐哥"[n % 6]


def rows() -> list[ImportRow]:
    """The demo county as import rows (parents first), keyed by readable external ids."""
    out = [ImportRow("county", "C1", "", "示范县", {"code": "350000"})]
    out += [ImportRow("department", d, "C1", name, {}) for d, name in DEPARTMENTS.items()]
    out += [ImportRow("township", t, "C1", name, {}) for t, name in TOWNSHIPS.items()]
    for c, (t, name) in COMMUNITIES.items():
        out.append(ImportRow("community", c, t, name, {}))
        out.append(ImportRow("community_party_committee", f"CPC{c[2:]}", c, f"{name}大党委", {}))
    person = 0
    for n, (c, name) in NEIGHBOURHOODS.items():
        i = n[1:]
        out.append(ImportRow("neighbourhood", n, c, name, {}))
        out.append(ImportRow("venue", f"V{i}", n, f"{name}邻里议事厅", {"address": f"{name}1号楼架空层"}))
        out.append(ImportRow("owners_committee", f"OC{i}", n, f"{name}业委会", {"contact_phone": f"1390000{i}000"}))
        out.append(ImportRow("property_company", f"PC{i}", n, f"{name}物业服务中心", {"contact_phone": f"0591-880{i}000"}))
        for b in range(1, 4):
            out.append(ImportRow("building", f"B{i}-{b}", n, f"{b}号楼", {"number": str(b)}))
            for h in range(1, 5):
                household = f"H{i}-{b}-{h}"
                out.append(ImportRow("household", household, f"B{i}-{b}", f"{b}号楼{h}0{h}室",
                                     {"door_number": f"{h}0{h}"}))
                for r in range(1 + (h % 2)):
                    person += 1
                    out.append(ImportRow("resident", f"R{i}-{b}-{h}-{r}", household, _name(person),
                                         {"phone": f"138{int(i):02d}{b}{h}{r}{person % 1000:04d}"[:11],
                                          "is_household_head": r == 0}))
        out.append(ImportRow("party_org", f"PO{i}", n, f"{name}党支部", {}))
        out += [ImportRow("party_group", f"PG{i}-{g}", f"PO{i}", f"第{g}党小组", {}) for g in (1, 2)]
        for m, kind in enumerate(MEMBER_KINDS, 1):
            person += 1
            leads = [f"B{i}-{m}"] if m <= 3 else []
            out.append(ImportRow("member", f"M{i}-{m}", f"PO{i}", _name(person), {
                "member_kind": kind, "party_group_id": f"PG{i}-{1 + m % 2}", "leads_building_ids": leads,
                "phone": f"1370000{int(i):02d}{m:02d}",
            }))
        out += [ImportRow("volunteer", f"VL{i}-{v}", n, _name(person + v), {}) for v in (1, 2)]
    return out


def seed(db: Database, clock: Clock, credentials: Path) -> bool:
    """Load the demo county unless the directory already has a county; False if it had one."""
    with db.read() as conn:
        if directory_storage.by_external_id(conn, "county", "C1"):
            return False
    outcomes = assemble(db, Outbox(topics.INTAKE), clock).directory.import_rows(rows())
    rejected = [o for o in outcomes if o.outcome == "rejected"]
    if rejected:
        raise RuntimeError(f"demo rows rejected: {rejected[:3]}")
    accounts = Accounts(db, clock)
    listed = []
    with db.read() as conn:
        def entity_id(kind: str, external_id: str) -> str:
            return directory_storage.by_external_id(conn, kind, external_id).entity_id if external_id else ""

        for username, (role, scope, scope_kind, own, own_kind) in ACCOUNTS.items():
            listed.append({"username": username, "role": role, "scope": scope,
                           "scope_id": entity_id(scope_kind, scope), "entity_id": entity_id(own_kind, own)})
        neighbourhoods = {n: entity_id("neighbourhood", n) for n in NEIGHBOURHOODS}
        households = {f"H1-{b}-{h}": entity_id("household", f"H1-{b}-{h}") for b in range(1, 4) for h in range(1, 5)}
    for account in listed:
        accounts.create_account(username=account["username"], password=DEMO_PASSWORD, role=account["role"],
                                scope_id=account["scope_id"], entity_id=account["entity_id"],
                                display_name=account["username"])
    key_id, api_key = accounts.issue_api_key(name="county government platform", scope_id=listed[0]["scope_id"])
    credentials.write_text(json.dumps({
        "password": DEMO_PASSWORD,
        "accounts": listed,
        "api_key": {"key_id": key_id, "api_key": api_key, "scope": "C1"},
        "neighbourhoods": neighbourhoods,
        "households_of_n1": households,  # H1-<building>-<door>; n1.leader leads building 3
    }, ensure_ascii=False, indent=2))
    os.chmod(credentials, 0o600)
    return True
