"""A feed server on 127.0.0.1 for the feed tests: no network beyond the loopback interface."""

import http.server
import socket
import threading
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):
        status, body, content_type = self.routes.get(self.path, (404, b"not found", "text/plain"))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FeedServer:
    def __init__(self):
        handler = type("Handler", (_Handler,), {"routes": {}})
        self.routes = handler.routes
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, path: str, body: bytes, *, status: int = 200, content_type: str = "application/xml") -> str:
        self.routes[path] = (status, body, content_type)
        return self.url(path)

    def serve_file(self, path: str, name: str, **kwargs) -> str:
        return self.serve(path, (DATA / name).read_bytes(), **kwargs)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def feed_server():
    server = FeedServer()
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def closed_port_url():
    """An address on 127.0.0.1 where nothing listens: a port the system just gave out and took back."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"
