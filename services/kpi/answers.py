"""Intake's answers over HTTP: the one place outcomes become status codes and JSON bytes.

The service layer (`services.submit_many`) gives each request its item outcomes; a single
report is answered 201 (200 when unchanged) or by its error's status, a batch 200 with a
result per item. The same renderings are what an Idempotency-Key keeps and gives back.
"""

from typing import Any

from fastapi import Response
from pydantic_core import to_json

from services.kpi.domain.errors import RegistryNotYetAppliedError
from services.kpi.schemas import ReportAccepted
from services.kpi.services import Accepted, ItemOutcome, RequestOutcome, StoredResponse
from shared.errors import ConflictError, DomainError, ForbiddenError, InvalidInputError

JSON = "application/json"


def status_of(item: Accepted) -> int:
    return 200 if item.unchanged else 201


def single_answer(items: list[ItemOutcome]) -> StoredResponse:
    """A single report's answer when it was accepted (a refusal keeps no key)."""
    (item,) = items
    assert isinstance(item, Accepted)
    return StoredResponse(status_of(item), accepted(item).model_dump_json().encode())


def accepted(item: Accepted) -> ReportAccepted:
    """Built without validating again: every field comes from a checked, typed record."""
    return ReportAccepted.model_construct(**item.fields)


def single(outcome: RequestOutcome, response: Response) -> ReportAccepted | Response:
    """A single report's answer; a refusal is raised for the edge's error handlers."""
    if outcome.refused is not None:
        raise outcome.refused
    if outcome.answer is not None:
        return stored(outcome.answer)
    (item,) = outcome.items
    if isinstance(item, DomainError):
        raise item
    response.status_code = status_of(item)
    return accepted(item)


def batch_answer(items: list[ItemOutcome]) -> StoredResponse:
    """A `BatchResult` as JSON text, encoded once (a thousand results are most of a batch's
    cost otherwise) for the response and the idempotency record alike."""
    results = [_result(index, item) for index, item in enumerate(items)]
    taken = sum(1 for r in results if r["status"] < 300)
    body = {"accepted": taken, "rejected": len(results) - taken, "results": results}
    return StoredResponse(200, to_json(body))


def batch(outcome: RequestOutcome) -> Response:
    if outcome.refused is not None:
        raise outcome.refused
    return stored(outcome.answer or batch_answer(outcome.items))


def stored(answer: StoredResponse) -> Response:
    return Response(answer.content, answer.status_code, media_type=JSON)


def _result(index: int, item: ItemOutcome) -> dict[str, Any]:
    """A `BatchItemResult` as plain fields."""
    if isinstance(item, Accepted):
        return {"index": index, "status": status_of(item), "report": item.fields, "errors": None}
    status, errors = _errors(item)
    return {"index": index, "status": status, "report": None, "errors": errors}


def _errors(exc: DomainError) -> tuple[int, list[dict[str, Any]]]:
    """An item's refusal as its status and errors, each at the field it concerns."""
    if isinstance(exc, InvalidInputError):
        return 422, [{"loc": list(p.loc), "msg": p.msg, "type": p.type} for p in exc.problems]
    if isinstance(exc, ForbiddenError):
        return 403, [{"loc": ["body", "project"], "msg": str(exc)}]
    if isinstance(exc, RegistryNotYetAppliedError):
        error = {"loc": ["body", "project"], "msg": str(exc), "retry_after": exc.retry_after}
        return 409, [error]
    if isinstance(exc, ConflictError):
        return 409, [{"loc": ["body", "period"], "msg": str(exc)}]
    return 404, [{"loc": ["body"], "msg": str(exc)}]  # no rule of intake gives another
