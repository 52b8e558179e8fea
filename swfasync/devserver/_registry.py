"""Domains, workflow and activity types, and resource tags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._faults import (
    DomainAlreadyExistsFault,
    DomainDeprecatedFault,
    LimitExceededFault,
    TooManyTagsFault,
    TypeAlreadyExistsFault,
    TypeDeprecatedFault,
    TypeNotDeprecatedFault,
    UnknownResourceFault,
)
from ._rules import parse_integer
from ._state import (
    ACCOUNT,
    REGION,
    Domain,
    Json,
    TypeRecord,
    paged_answer,
    parse_duration,
    type_key,
)
from ._validation import invalid

if TYPE_CHECKING:
    from ._backend import Backend

MAX_TAGS = 50
MAX_RETENTION_DAYS = 90

_WORKFLOW_DEFAULTS = (
    "defaultTaskStartToCloseTimeout",
    "defaultExecutionStartToCloseTimeout",
    "defaultTaskList",
    "defaultTaskPriority",
    "defaultChildPolicy",
    "defaultLambdaRole",
)
_ACTIVITY_DEFAULTS = (
    "defaultTaskStartToCloseTimeout",
    "defaultTaskHeartbeatTimeout",
    "defaultTaskList",
    "defaultTaskPriority",
    "defaultTaskScheduleToStartTimeout",
    "defaultTaskScheduleToCloseTimeout",
)


# -- domains ----------------------------------------------------------------------------


def _domain_info(d: Domain) -> Json:
    info: Json = {"name": d.name, "status": d.status, "arn": d.arn}
    if d.description is not None:
        info["description"] = d.description
    return info


def _check_tags(tags: list[Json]) -> None:
    if len(tags) > MAX_TAGS:
        raise TooManyTagsFault(f"A resource may have at most {MAX_TAGS} tags")


def register_domain(b: Backend, req: Json) -> Json:
    days = req["workflowExecutionRetentionPeriodInDays"]
    number = parse_integer(days)
    if number is None or not 0 <= number <= MAX_RETENTION_DAYS:
        raise invalid(
            days,
            "workflowExecutionRetentionPeriodInDays",
            f"Member must be a whole number of days from 0 to {MAX_RETENTION_DAYS}",
        )
    if req["name"] in b.domains:
        raise DomainAlreadyExistsFault(req["name"])
    tags = list(req.get("tags") or [])
    _check_tags(tags)
    b.domains[req["name"]] = Domain(
        name=req["name"], retention_days=days, description=req.get("description"), tags=tags
    )
    b.mark_domain(req["name"])
    return {}


def describe_domain(b: Backend, req: Json) -> Json:
    d = b.domain(req["name"])
    return {
        "domainInfo": _domain_info(d),
        "configuration": {"workflowExecutionRetentionPeriodInDays": d.retention_days},
    }


def list_domains(b: Backend, req: Json) -> Json:
    found = sorted(
        (d for d in b.domains.values() if d.status == req["registrationStatus"]),
        key=lambda d: d.name,
        reverse=bool(req.get("reverseOrder")),
    )
    return paged_answer(b.page_tokens, found, req, "domainInfos", _domain_info)


def deprecate_domain(b: Backend, req: Json) -> Json:
    d = b.domain(req["name"])
    if d.status == "DEPRECATED":
        raise DomainDeprecatedFault(req["name"])
    d.status = "DEPRECATED"
    b.mark_domain(d.name)
    return {}


def undeprecate_domain(b: Backend, req: Json) -> Json:
    d = b.domain(req["name"])
    if d.status == "REGISTERED":
        raise DomainAlreadyExistsFault(req["name"])
    d.status = "REGISTERED"
    b.mark_domain(d.name)
    return {}


# -- tags -------------------------------------------------------------------------------


def _domain_for_arn(b: Backend, arn: str) -> Domain:
    prefix = f"arn:aws:swf:{REGION}:{ACCOUNT}:/domain/"
    if not arn.startswith(prefix) or arn[len(prefix) :] not in b.domains:
        raise UnknownResourceFault(f"Unknown resource: {arn}")
    return b.domains[arn[len(prefix) :]]


def tag_resource(b: Backend, req: Json) -> Json:
    d = _domain_for_arn(b, req["resourceArn"])
    merged = {t["key"]: t for t in d.tags}
    for tag in req["tags"]:
        merged[tag["key"]] = tag
    if len(merged) > MAX_TAGS:
        raise TooManyTagsFault(f"A resource may have at most {MAX_TAGS} tags")
    d.tags = list(merged.values())
    b.mark_domain(d.name)
    return {}


def untag_resource(b: Backend, req: Json) -> Json:
    d = _domain_for_arn(b, req["resourceArn"])
    if len(req["tagKeys"]) > MAX_TAGS:
        raise LimitExceededFault(f"At most {MAX_TAGS} tag keys per request")
    drop = set(req["tagKeys"])
    d.tags = [t for t in d.tags if t["key"] not in drop]
    b.mark_domain(d.name)
    return {}


def list_tags_for_resource(b: Backend, req: Json) -> Json:
    d = _domain_for_arn(b, req["resourceArn"])
    return {"tags": list(d.tags)}


# -- types ------------------------------------------------------------------------------


def _label(kind: str, ref: Json) -> str:
    cls = "WorkflowType" if kind == "workflow" else "ActivityType"
    return f"{cls}=[name={ref['name']}, version={ref['version']}]"


def _register(b: Backend, kind: str, req: Json, defaults: tuple[str, ...]) -> Json:
    domain = b.domain(req["domain"], registered=True)
    ref = {"name": req["name"], "version": req["version"]}
    for key in defaults:
        value = req.get(key)
        if key.endswith("Timeout") and value is not None:
            parse_duration(value, key, allow_none=key != "defaultExecutionStartToCloseTimeout")
        if key == "defaultTaskPriority" and value is not None:
            from ._state import parse_priority

            parse_priority(value, key)
    if type_key(kind, domain.name, ref["name"], ref["version"]) in b.types:
        raise TypeAlreadyExistsFault(_label(kind, ref))
    record = TypeRecord(
        kind=kind,
        domain=domain.name,
        name=ref["name"],
        version=ref["version"],
        creation_date=b.clock.now(),
        config={k: req[k] for k in defaults if req.get(k) is not None},
        description=req.get("description"),
    )
    b.types[record.key] = record
    b.mark_type(record.key)
    return {}


def register_workflow_type(b: Backend, req: Json) -> Json:
    return _register(b, "workflow", req, _WORKFLOW_DEFAULTS)


def register_activity_type(b: Backend, req: Json) -> Json:
    return _register(b, "activity", req, _ACTIVITY_DEFAULTS)


def _type_info(r: TypeRecord) -> Json:
    info: Json = {
        ("workflowType" if r.kind == "workflow" else "activityType"): {
            "name": r.name,
            "version": r.version,
        },
        "status": r.status,
        "creationDate": r.creation_date,
    }
    if r.description is not None:
        info["description"] = r.description
    if r.deprecation_date is not None:
        info["deprecationDate"] = r.deprecation_date
    return info


def _describe(b: Backend, kind: str, req: Json) -> Json:
    b.domain(req["domain"])
    record = b.get_type(kind, req["domain"], req[f"{kind}Type"])
    return {"typeInfo": _type_info(record), "configuration": dict(record.config)}


def describe_workflow_type(b: Backend, req: Json) -> Json:
    return _describe(b, "workflow", req)


def describe_activity_type(b: Backend, req: Json) -> Json:
    return _describe(b, "activity", req)


def _list(b: Backend, kind: str, req: Json) -> Json:
    b.domain(req["domain"])
    found = sorted(
        (
            r
            for r in b.types.values()
            if r.kind == kind
            and r.domain == req["domain"]
            and r.status == req["registrationStatus"]
            and (req.get("name") is None or r.name == req["name"])
        ),
        key=lambda r: (r.name, r.version),
        reverse=bool(req.get("reverseOrder")),
    )
    return paged_answer(b.page_tokens, found, req, "typeInfos", _type_info)


def list_workflow_types(b: Backend, req: Json) -> Json:
    return _list(b, "workflow", req)


def list_activity_types(b: Backend, req: Json) -> Json:
    return _list(b, "activity", req)


def _set_status(b: Backend, kind: str, req: Json, deprecate: bool) -> Json:
    b.domain(req["domain"])
    ref = req[f"{kind}Type"]
    record = b.get_type(kind, req["domain"], ref)
    if deprecate:
        if record.status == "DEPRECATED":
            raise TypeDeprecatedFault(_label(kind, ref))
        record.status = "DEPRECATED"
        record.deprecation_date = b.clock.now()
    else:
        if record.status == "REGISTERED":
            raise TypeAlreadyExistsFault(_label(kind, ref))
        record.status = "REGISTERED"
        record.deprecation_date = None
    b.mark_type(record.key)
    return {}


def deprecate_workflow_type(b: Backend, req: Json) -> Json:
    return _set_status(b, "workflow", req, True)


def deprecate_activity_type(b: Backend, req: Json) -> Json:
    return _set_status(b, "activity", req, True)


def undeprecate_workflow_type(b: Backend, req: Json) -> Json:
    return _set_status(b, "workflow", req, False)


def undeprecate_activity_type(b: Backend, req: Json) -> Json:
    return _set_status(b, "activity", req, False)


def _delete(b: Backend, kind: str, req: Json) -> Json:
    b.domain(req["domain"])
    ref = req[f"{kind}Type"]
    record = b.get_type(kind, req["domain"], ref)
    if record.status != "DEPRECATED":
        raise TypeNotDeprecatedFault(_label(kind, ref))
    del b.types[record.key]
    b.drop_type(record.key)
    return {}


def delete_workflow_type(b: Backend, req: Json) -> Json:
    return _delete(b, "workflow", req)


def delete_activity_type(b: Backend, req: Json) -> Json:
    return _delete(b, "activity", req)
