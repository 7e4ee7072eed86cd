"""Open311 services are the county's concern categories; their definitions are the two choices a
concern offers beyond its text: urgency and anonymity towards the public."""
from __future__ import annotations

# zh-CN is the default language: names and descriptions people read are Chinese, and the English
# goes where the spec leaves room for a second text (description, datatype_description).
ATTRIBUTES = (
    {
        "variable": True,
        "code": "urgency",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "urgency: normal (default) or urgent",
        "order": 1,
        "description": "紧急程度",
        "values": [{"key": "normal", "name": "一般"}, {"key": "urgent", "name": "紧急"}],
    },
    {
        "variable": True,
        "code": "anonymous",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "anonymous: true hides my description, address and photos from the public",
        "order": 2,
        "description": "匿名：对公众隐藏我的描述、地址和照片",
        "values": [{"key": "false", "name": "公开"}, {"key": "true", "name": "匿名"}],
    },
)
CHOICES = {a["code"]: tuple(v["key"] for v in a["values"]) for a in ATTRIBUTES}

# Every category is one kind of neighbourhood concern; the spec wants a group, so they share one.
GROUP = "邻里诉求"


def service_of(category) -> dict:
    """One entry of services.[format], from an intake Category."""
    return {
        "service_code": category.code,
        "service_name": category.name_zh,
        "description": category.name_en,
        "metadata": True,  # urgency and anonymity are worth offering to every reporter
        "type": "realtime",  # intake answers with the concern id at once
        "keywords": ", ".join(k for k in (category.name_en, category.code) if k),
        "group": GROUP,
    }


def definition_of(service_code: str) -> dict:
    """services/[service_code].[format]: the same attributes for every category."""
    return {"service_code": service_code, "attributes": [dict(a) for a in ATTRIBUTES]}
