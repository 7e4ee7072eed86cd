"""Reading the gateway's refusals: REST problems (RFC 9457) and Open311's <errors> lists."""
from __future__ import annotations

from xml.etree import ElementTree

PROBLEM = "application/problem+json"
OPEN311_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def problem_of(response, status: int) -> dict:
    """The problem document of a refusal with `status`, checked for the fields every problem has."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == PROBLEM
    problem = response.get_json(force=True)
    assert problem["status"] == status and problem["title"] and problem["detail"] and problem["correlation_id"]
    return problem


def reasons(problem: dict) -> list[str]:
    """The detail and each field error, as "field: message"."""
    return [problem["detail"], *(f"{e['field']}: {e['message']}" for e in problem.get("errors", []))]


def open311_errors(response, fmt: str) -> list[tuple[int, str]]:
    """GeoReport v2's error list, in the format the path asked for, as (code, description)."""
    assert response.headers["Content-Type"] == OPEN311_TYPES[fmt], response.get_data(as_text=True)
    if fmt == "json":
        return [(e["code"], e["description"]) for e in response.get_json()]
    tree = ElementTree.fromstring(response.data)
    assert tree.tag == "errors"
    return [(int(e.find("code").text), e.find("description").text) for e in tree.findall("error")]
