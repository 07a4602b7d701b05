"""An API server and its storage server on 127.0.0.1, for the imitation portal and Hub."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ROLES = ("api", "storage")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hung up (a timeout test) is not worth a traceback."""


def base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


class TwoServers:
    """The two servers of an imitation service: made by :meth:`make_servers`, served while the
    object is used in ``with``. Each request handler class gets ``role`` and ``attributes``."""

    servers: dict[str, ThreadingHTTPServer]

    def make_servers(self, handler: type[BaseHTTPRequestHandler], **attributes: Any) -> None:
        self.servers = {
            role: QuietServer(
                ("127.0.0.1", 0),
                type(f"{role.title()}Handler", (handler,), {**attributes, "role": role}),
            )
            for role in ROLES
        }

    @property
    def api_url(self) -> str:
        return base_url(self.servers["api"])

    @property
    def storage_url(self) -> str:
        return base_url(self.servers["storage"])

    def before_stop(self) -> None:
        """Release anything a handler may be waiting on (nothing by default)."""

    def __enter__(self) -> Any:
        for server in self.servers.values():
            threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.before_stop()
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that speaks HTTP/1.1 and logs nothing; ``role`` names its server."""

    protocol_version = "HTTP/1.1"
    role: str
    head_only = False  # answering a HEAD request: headers, no body

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""

    def send(self, status: int, body: bytes | str = b"", headers: dict[str, str] | None = None):
        """One whole answer: status, headers, Content-Length and (unless HEAD) the body."""
        body = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self.head_only:
            self.wfile.write(body)
