"""The simulator on a socket: a threading HTTP server on loopback that hands each request to
a :class:`~linkyflux.simulator.simulator.Simulator` and writes its
:class:`~linkyflux.simulator.reply.Reply` back.

Only a socket shows what tests need from a real connection: a stalled answer (a timeout,
``../shared/docs/enedis-api.md`` §5.4) and a client that goes away.
"""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from linkyflux.simulator.simulator import Simulator


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and delayed
    # ACKs add ~40 ms to every answer.
    disable_nagle_algorithm = True
    server: SimulatorServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.simulator.handle(
            self.command,
            self.path,
            body,
            self.client_address[0],
            self.headers.get("Authorization"),
            self.headers.get("X-MED-Format"),
        )
        if reply.delay:
            time.sleep(reply.delay)  # a real stall: only a socket can show a timeout
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone before its answer (killed by a test, timed out) is not news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.simulator = simulator
        simulator.base_url = f"http://{host}:{self.server_address[1]}"

    @property
    def url(self) -> str:
        return self.simulator.base_url

    def start(self) -> SimulatorServer:
        thread = threading.Thread(target=self.serve_forever, name="simulator", daemon=True)
        thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
