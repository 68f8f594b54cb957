"""Dependencies the routes declare: the process's services and verified secrets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.services import Services


@dataclass(frozen=True)
class WebhookSecrets:
    github: bytes
    sentry: bytes


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def get_secrets(request: Request) -> WebhookSecrets:
    secrets: WebhookSecrets = request.app.state.secrets
    return secrets


ServicesDep = Annotated[Services, Depends(get_services)]
SecretsDep = Annotated[WebhookSecrets, Depends(get_secrets)]
