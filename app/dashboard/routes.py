"""The dashboard's routes in one router, for the app to include."""

from __future__ import annotations

from fastapi import APIRouter

from app.dashboard import actions, pages

router = APIRouter()
router.include_router(pages.router)
router.include_router(actions.router)
