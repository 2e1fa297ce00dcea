"""The connector's web application: the DSP endpoints under the DSP base path, `/.well-known/dspace-version` at the
root, the management API under `/management`, the participant's DID document; the dispatcher runs for the
application's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from catalog.dsp_catalog import CatalogInfo
from connector.identity.auth import Authenticator

from .dsp_api import dsp_router, well_known_router
from .plane import ControlPlane

DSP_BASE_PATH = "/api/dsp/2025-1"


def create_connector_app(plane: ControlPlane, authenticator: Authenticator, catalog_info: CatalogInfo, *,
                         management_token: str | None = None, participant: Any | None = None,
                         base_path: str = DSP_BASE_PATH, extra_routers: list[Any] | None = None,
                         title: str = "JNT connector") -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        plane.start()
        try:
            yield
        finally:
            plane.stop()

    app = FastAPI(title=title, version="2025-1", lifespan=lifespan,
                  description="Connecteur JNT : protocole DSP 2025-1 et API de gestion / JNT connector: Dataspace "
                              "Protocol 2025-1 and management API.")
    app.include_router(well_known_router(base_path))
    app.include_router(dsp_router(plane, authenticator, catalog_info), prefix=base_path)
    if management_token is not None:
        from .management_api import management_router

        app.include_router(management_router(plane, management_token), prefix="/management")
    if participant is not None:
        app.include_router(participant.router())
    for router in extra_routers or []:
        app.include_router(router)
    app.state.plane = plane
    return app
