"""`BackgroundServer`: a uvicorn server in a thread, on a socket bound when the object is created, so the port
(and therefore a did:web DID such as `did:web:127.0.0.1%3A<port>`) is known before the app is built. Start waits
until the server accepts connections; stop shuts it down gracefully. Used by the tests and by demos that run
several services in one process."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn


class BackgroundServer:
    def __init__(self, app: Any = None, host: str = "127.0.0.1", port: int = 0, *, log_level: str = "warning",
                 startup_timeout: float = 10.0) -> None:
        self.app = app
        self.host = host
        self.startup_timeout = startup_timeout
        self.log_level = log_level
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        # Rebinding the same port right after a stop (a restart in a test) must not fail on TIME_WAIT sockets.
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def netloc(self) -> str:
        return self.base_url.removeprefix("http://")

    def start(self, app: Any = None) -> BackgroundServer:
        if app is not None:
            self.app = app
        if self.app is None:
            raise ValueError("BackgroundServer.start needs an app")
        if self._thread is not None:
            raise RuntimeError("server already started")
        config = uvicorn.Config(self.app, log_level=self.log_level, access_log=False, lifespan="auto",
                                timeout_graceful_shutdown=5)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"uvicorn-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self._socket.close()
                raise RuntimeError(f"server on {self.base_url} failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server on {self.base_url} did not start within {self.startup_timeout} s")
            time.sleep(0.005)
        return self

    def _run(self) -> None:
        assert self._server is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # reported by start(); a thread must not die silently
            self._error = exc

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout=5)
        self._socket.close()
        self._server = None
        self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
