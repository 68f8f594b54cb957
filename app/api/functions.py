"""POST /functions/{owner}/{repo}/{name}: a repository's function, triggered over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from app.api.bodies import body_authenticated
from app.api.deps import ServicesDep
from app.workspace import checkout_dir, full_name_problem

log = logging.getLogger(__name__)
router = APIRouter(prefix="/functions", tags=["functions"])


def repository_token(secret: bytes, repository: str) -> str:
    """The bearer token for `owner/repo`'s HTTP triggers: derived, so nothing is stored, and
    rotating FUNCTIONS_TOKEN_SECRET revokes every token at once."""
    return hmac.new(secret, f"functions:{repository.lower()}".encode(), hashlib.sha256).hexdigest()


@router.post("/{owner}/{repo}/{name}")
async def trigger_function(
    owner: str, repo: str, name: str, request: Request, services: ServicesDep
) -> JSONResponse:
    settings = services.settings
    if settings.functions_token_secret is None:
        raise HTTPException(404, "function HTTP triggers are disabled (FUNCTIONS_TOKEN_SECRET)")
    repository = f"{owner}/{repo}"
    problem = full_name_problem(repository)
    if problem is not None:
        # Never a token, nor a folder under the checkouts, for a name GitHub cannot have.
        raise HTTPException(404, problem)
    expected = repository_token(
        settings.functions_token_secret.get_secret_value().encode(), repository
    )
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given, expected):
        raise HTTPException(401, "a valid bearer token for this repository is required")
    body_authenticated(request)
    spec = services.functions.declared(repository, name)
    if spec is None and settings.functions_checkouts_dir is not None:
        checkout = checkout_dir(settings.functions_checkouts_dir, repository)
        if checkout.is_dir():
            services.functions.load_repository(checkout, repository)
            spec = services.functions.declared(repository, name)
    if spec is None or not spec.http:
        raise HTTPException(404, f"{repository} declares no HTTP function {name!r}")
    body = await request.body()
    try:
        event = json.loads(body) if body.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise HTTPException(400, f"the body is not valid JSON: {error}") from error
    response = await services.functions.invoke(name, event=event, repository=repository)
    log.info(
        "function triggered over HTTP",
        extra={"repository": repository, "function": name, "status": response.status_code},
    )
    return JSONResponse(response.to_json(), status_code=response.status_code)
