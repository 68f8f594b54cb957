"""The ingest ceiling: a bare FastAPI endpoint that reads the body, checks the HMAC and answers.

Served by uvicorn exactly like `kintsugi serve` (uvloop, httptools, no access log), so the
difference to Kintsugi is what Kintsugi does with a delivery after its signature checks out:

    uvicorn --app-dir bench --factory _ceiling:create_app
"""

from __future__ import annotations

import os

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from app.ingest.signatures import github_signature_valid


def create_app() -> FastAPI:
    secret = os.environ["GITHUB_WEBHOOK_SECRET"].encode()
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/webhooks/github", status_code=202)
    async def github_webhook(request: Request) -> JSONResponse:
        body = await request.body()
        if not github_signature_valid(secret, body, request.headers.get("x-hub-signature-256")):
            raise HTTPException(status_code=401, detail="missing or invalid X-Hub-Signature-256")
        return JSONResponse({"accepted": True}, status_code=202)

    return app
