"""Domain errors. Each carries its HTTP status and RFC 9457 problem type; the mapping to a
response happens once, in ``newsdesk.problems``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One validation failure: where (a JSON pointer into the request body) and what."""

    pointer: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"pointer": self.pointer, "message": self.message}


class NewsdeskError(Exception):
    status: int = 400
    type_slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class MalformedRequest(NewsdeskError):
    status, type_slug, title = 400, "malformed-json", "Malformed JSON"


class Unauthenticated(NewsdeskError):
    status, type_slug, title = 401, "unauthenticated", "Missing or invalid API key"


class Forbidden(NewsdeskError):
    status, type_slug, title = 403, "forbidden", "Not allowed for this key"


class NotFound(NewsdeskError):
    status, type_slug, title = 404, "not-found", "Not found"


class VersionConflict(NewsdeskError):
    status, type_slug, title = 409, "version-conflict", "Older or conflicting version"


class PreconditionFailed(NewsdeskError):
    status, type_slug, title = 412, "precondition-failed", "The article has changed"


class PayloadTooLarge(NewsdeskError):
    status, type_slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(NewsdeskError):
    status, type_slug, title = 415, "unsupported-media-type", "Content type must be application/json"


class ValidationFailed(NewsdeskError):
    status, type_slug, title = 422, "validation-failed", "The document is not valid ninjs for Newsdesk"


class IdempotencyKeyReused(NewsdeskError):
    status, type_slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused with another body"


class IdempotencyInProgress(NewsdeskError):
    status, type_slug, title = (
        409,
        "idempotency-in-progress",
        "A request with this Idempotency-Key is in progress",
    )


class PreconditionRequired(NewsdeskError):
    status, type_slug, title = 428, "precondition-required", "If-Match header required"


class ServiceUnavailable(NewsdeskError):
    status, type_slug, title = 503, "service-unavailable", "Temporarily unavailable"
