"""The baseline for intake latency: a bare FastAPI endpoint validating the same body."""

from fastapi import FastAPI, status

from services.kpi.schemas import ReportIn

app = FastAPI()


@app.post("/v1/reports", status_code=status.HTTP_201_CREATED)
async def accept(item: ReportIn) -> dict[str, str]:
    return {"indicator": item.indicator}


@app.get("/v1/aggregates")
async def aggregates() -> list[dict[str, str]]:
    return [{"indicator_code": "X"}]
