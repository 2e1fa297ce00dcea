"""Small fakes for the deploy tests: an HTTP server on loopback and the part of the Kubernetes API that
jnt-k8s-secret uses."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def http_server(handler_class) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class FakeKubernetes(http.server.BaseHTTPRequestHandler):
    """The two calls of jnt-k8s-secret on /api/v1/namespaces/jnt/secrets, with the bearer token checked."""
    secrets: dict[str, dict] = {}
    tokens: list[str] = []

    def _send(self, status: int, body: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def do_GET(self) -> None:  # noqa: N802
        self.tokens.append(self.headers["Authorization"])
        name = self.path.rsplit("/", 1)[-1]
        if self.path.startswith("/api/v1/namespaces/jnt/secrets/") and name in self.secrets:
            self._send(200, self.secrets[name])
        else:
            self._send(404, {"kind": "Status", "code": 404})

    def do_POST(self) -> None:  # noqa: N802
        self.tokens.append(self.headers["Authorization"])
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path != "/api/v1/namespaces/jnt/secrets":
            self._send(404, {})
        elif body["metadata"]["name"] in self.secrets:
            self._send(409, {"kind": "Status", "code": 409})
        else:
            self.secrets[body["metadata"]["name"]] = body
            self._send(201, body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def fake_kubernetes_api(directory: Path) -> Iterator[dict[str, str]]:
    """A fake API server and service-account directory (namespace jnt); yields the environment that points
    jnt-k8s-secret at them. Its Secrets are in `FakeKubernetes.secrets`."""
    account = directory / "serviceaccount"
    account.mkdir()
    (account / "namespace").write_text("jnt")
    (account / "token").write_text("service-account-token\n")
    FakeKubernetes.secrets, FakeKubernetes.tokens = {}, []
    with http_server(FakeKubernetes) as url:
        yield {"KUBERNETES_API_URL": url, "KUBERNETES_SERVICEACCOUNT_DIR": str(account)}
