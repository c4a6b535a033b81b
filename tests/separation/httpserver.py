"""A real HTTP server on 127.0.0.1 in a thread, for downloader tests: serves
byte strings, honours ``Range: bytes=N-``, can cut the connection in the
middle of a body, and records the requests it saw."""

from __future__ import annotations

import http.server
import threading
from dataclasses import dataclass, field


@dataclass
class ServedFile:
    data: bytes
    #: How many of the next responses are cut after ``cut_at`` bytes of body.
    cut_times: int = 0
    cut_at: int = 0
    honour_range: bool = True
    status: int = 200
    #: Seconds to sleep between 64 KiB pieces of the body (to test cancel).
    delay_s: float = 0.0


@dataclass
class FileServer:
    files: dict[str, ServedFile] = field(default_factory=dict)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None
    thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"

    def start(self) -> FileServer:
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                import time

                name = self.path.lstrip("/")
                rng = self.headers.get("Range")
                outer.requests.append((name, rng))
                f = outer.files.get(name)
                if f is None or f.status != 200:
                    self.send_response(404 if f is None else f.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                if rng and f.honour_range:
                    start = int(rng.split("=", 1)[1].split("-", 1)[0])
                    if start >= len(f.data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(f.data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(f.data) - 1}/{len(f.data)}")
                else:
                    self.send_response(200)
                body = f.data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if f.cut_times > 0:
                    f.cut_times -= 1
                    self.wfile.write(body[: max(0, f.cut_at - start)])
                    self.wfile.flush()
                    self.close_connection = True
                    # Hard close: the client sees a body shorter than Content-Length.
                    self.connection.shutdown(2)
                    return
                for i in range(0, len(body), 1 << 16):
                    if f.delay_s:
                        time.sleep(f.delay_s)
                    try:
                        self.wfile.write(body[i : i + (1 << 16)])
                    except (BrokenPipeError, ConnectionResetError):
                        return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
