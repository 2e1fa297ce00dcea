"""The console acts through the connector's own management API, called in process: a private instance of the
management router, guarded by a random token that never leaves the process, reached through an ASGI transport
(no socket). Every check, refusal message and side effect is therefore the API's — the console adds none of its
own rules — and the console works whether or not the public `/management` API is enabled."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from connector.control.management_api import management_router
from connector.control.plane import ControlPlane


@dataclass
class ApiRefusal(Exception):
    """A refusal of the management API: its status and its problem body (`error`, `field`, `fr`, `en`…)."""

    status: int
    problem: dict[str, Any]

    def message(self, lang: str) -> str:
        text = self.problem.get(lang) or self.problem.get("fr") or self.problem.get("error") or f"HTTP {self.status}"
        return str(text)

    @property
    def field(self) -> str | None:
        return self.problem.get("field")

    def messages(self, lang: str) -> list[str]:
        """Every problem when there are several, else the one."""
        many = self.problem.get("problems") or []
        return [str(p.get(lang) or p.get("fr")) for p in many] or [self.message(lang)]


class ManagementCalls:
    def __init__(self, plane: ControlPlane) -> None:
        token = secrets.token_urlsafe(32)
        app = FastAPI()
        app.include_router(management_router(plane, token), prefix="/management")
        self._app = app
        self._headers = {"Authorization": f"Bearer {token}"}

    def client(self, timeout: float = 60.0) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self._app), base_url="http://console.internal",
                                 headers=self._headers, timeout=timeout)

    async def call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None,
                   timeout: float = 60.0) -> Any:
        params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        async with self.client(timeout) as http:
            answer = await http.request(method, "/management" + path, json=json, params=params)
        if answer.status_code == 204:
            return None
        try:
            body = answer.json()
        except ValueError:
            body = {"error": "unreadable", "fr": answer.text[:500], "en": answer.text[:500]}
        if answer.status_code >= 400:
            raise ApiRefusal(answer.status_code, body if isinstance(body, dict) else {"error": str(body)})
        return body

    async def get(self, path: str, **params: Any) -> Any:
        return await self.call("GET", path, params=params)

    async def post(self, path: str, body: Any = None, **params: Any) -> Any:
        return await self.call("POST", path, json=body, params=params)
