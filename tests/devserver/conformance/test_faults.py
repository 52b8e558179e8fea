"""SWF's faults: each one the model declares, produced the way SWF produces it.

The wire form of each (HTTP 400, ``__type``, a ``__type`` the operation declares) is checked
by the validation hook on every response; here each test checks that the right fault comes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from .clients import SwfApi, SwfFault
from .decider import Names, Run, register

Provoke = Callable[[SwfApi, Names], Awaitable[object]]


async def domain_already_exists(swf: SwfApi, names: Names) -> object:
    await register(swf, names)
    return await swf(
        "RegisterDomain", name=names.domain, workflowExecutionRetentionPeriodInDays="1"
    )


async def domain_deprecated(swf: SwfApi, names: Names) -> object:
    await register(swf, names)
    await swf("DeprecateDomain", name=names.domain)
    return await swf("DeprecateDomain", name=names.domain)


async def unknown_resource(swf: SwfApi, names: Names) -> object:
    return await swf("DescribeDomain", name=names.domain)


async def type_already_exists(swf: SwfApi, names: Names) -> object:
    await register(swf, names)
    return await swf("RegisterActivityType", domain=names.domain, **names.activity_type)


async def type_deprecated(swf: SwfApi, names: Names) -> object:
    await register(swf, names)
    await swf("DeprecateWorkflowType", domain=names.domain, workflowType=names.workflow_type)
    return await Run.start(swf, names)


async def type_not_deprecated(swf: SwfApi, names: Names) -> object:
    await register(swf, names)
    return await swf("DeleteActivityType", domain=names.domain, activityType=names.activity_type)


async def default_undefined(swf: SwfApi, names: Names) -> object:
    await swf("RegisterDomain", name=names.domain, workflowExecutionRetentionPeriodInDays="1")
    await swf("RegisterWorkflowType", domain=names.domain, **names.workflow_type)
    return await Run.start(swf, names)  # no task list given, none registered as default


async def already_started(swf: SwfApi, names: Names) -> object:
    await register(swf, names)
    await Run.start(swf, names, "twice")
    return await Run.start(swf, names, "twice")


async def too_many_tags(swf: SwfApi, names: Names) -> object:
    await register(swf, names)
    arn = (await swf("DescribeDomain", name=names.domain))["domainInfo"]["arn"]
    for start in range(0, 55, 5):
        tags = [{"key": f"k{i}", "value": "v"} for i in range(start, start + 5)]
        await swf("TagResource", resourceArn=arn, tags=tags)
    return None


async def limit_exceeded(swf: SwfApi, names: Names) -> object:
    await register(swf, names)
    arn = (await swf("DescribeDomain", name=names.domain))["domainInfo"]["arn"]
    return await swf("UntagResource", resourceArn=arn, tagKeys=[f"k{i}" for i in range(51)])


async def validation(swf: SwfApi, names: Names) -> object:
    # botocore checks minimum lengths before sending, never maximums: this reaches the server.
    return await swf("RegisterDomain", name="d" * 257, workflowExecutionRetentionPeriodInDays="1")


async def invalid_enum(swf: SwfApi, names: Names) -> object:
    return await swf("ListDomains", registrationStatus="SOMETIMES")


@pytest.mark.parametrize(
    ("provoke", "code"),
    [
        (domain_already_exists, "DomainAlreadyExistsFault"),
        (domain_deprecated, "DomainDeprecatedFault"),
        (unknown_resource, "UnknownResourceFault"),
        (type_already_exists, "TypeAlreadyExistsFault"),
        (type_deprecated, "TypeDeprecatedFault"),
        (type_not_deprecated, "TypeNotDeprecatedFault"),
        (default_undefined, "DefaultUndefinedFault"),
        (already_started, "WorkflowExecutionAlreadyStartedFault"),
        (too_many_tags, "TooManyTagsFault"),
        (limit_exceeded, "LimitExceededFault"),
        (validation, "ValidationException"),
        (invalid_enum, "ValidationException"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
async def test_fault(swf: SwfApi, names: Names, provoke: Provoke, code: str) -> None:
    with pytest.raises(SwfFault) as fault:
        await provoke(swf, names)
    assert fault.value.code == code
    assert fault.value.message
