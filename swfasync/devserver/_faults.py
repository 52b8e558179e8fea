"""SWF faults as the service shapes them on the wire."""

from __future__ import annotations

SWF_PREFIX = "com.amazonaws.swf.base.model#"


class SwfFault(Exception):
    """A fault returned to the caller as HTTP 400 (unless ``status`` says otherwise) with
    SWF's ``__type``."""

    type_name = ""
    prefix = SWF_PREFIX
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def wire_type(self) -> str:
        return self.prefix + self.type_name


def _fault(name: str) -> type[SwfFault]:
    return type(name, (SwfFault,), {"type_name": name, "__doc__": f"SWF's {name}."})


UnknownResourceFault = _fault("UnknownResourceFault")
TypeAlreadyExistsFault = _fault("TypeAlreadyExistsFault")
TypeDeprecatedFault = _fault("TypeDeprecatedFault")
TypeNotDeprecatedFault = _fault("TypeNotDeprecatedFault")
DomainAlreadyExistsFault = _fault("DomainAlreadyExistsFault")
DomainDeprecatedFault = _fault("DomainDeprecatedFault")
DefaultUndefinedFault = _fault("DefaultUndefinedFault")
WorkflowExecutionAlreadyStartedFault = _fault("WorkflowExecutionAlreadyStartedFault")
LimitExceededFault = _fault("LimitExceededFault")
OperationNotPermittedFault = _fault("OperationNotPermittedFault")
TooManyTagsFault = _fault("TooManyTagsFault")

ALL_FAULTS: tuple[type[SwfFault], ...] = (
    UnknownResourceFault,
    TypeAlreadyExistsFault,
    TypeDeprecatedFault,
    TypeNotDeprecatedFault,
    DomainAlreadyExistsFault,
    DomainDeprecatedFault,
    DefaultUndefinedFault,
    WorkflowExecutionAlreadyStartedFault,
    LimitExceededFault,
    OperationNotPermittedFault,
    TooManyTagsFault,
)


class ValidationFault(SwfFault):
    """A request that breaks a constraint of the model."""

    type_name = "ValidationException"
    prefix = "com.amazon.coral.validate#"


class ProtocolFault(SwfFault):
    """A request the JSON 1.0 protocol layer rejects (bad body, unknown operation)."""

    prefix = "com.amazon.coral.service#"

    def __init__(self, type_name: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.status = status


class RequestTooLargeFault(SwfFault):
    """A request body over the dev server's size limit. HTTP 413, the status an HTTP front
    end answers it with; botocore still reads the JSON body, so the caller's ``ClientError``
    carries this code and the message naming the size and the limit."""

    type_name = "RequestEntityTooLargeException"
    prefix = "com.amazon.coral.service#"
    status = 413
