"""Run an ASGI app (a sandbox marketplace or supplier, the webhook receiver) on a loopback port
in a background thread. Used by `dropship sandbox serve`, `make demo` and the tests alike."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

import uvicorn


class ServerThread:
    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"):
        # Bind here and hand the socket to uvicorn: picking a free port and binding it later races
        # with every other process doing the same on a busy machine.
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.host, self.port = host, self.sock.getsockname()[1]
        config = uvicorn.Config(app, host=host, port=self.port, log_level=log_level, lifespan="off",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       name=f"asgi-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> "ServerThread":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.sock.close()

    def serve_until_interrupted(self, banner: str = "") -> None:
        """Start, print `banner` (with {url} filled in) and serve until Ctrl-C."""
        self.start()
        if banner:
            print(banner.format(url=self.url), flush=True)
        try:
            self.thread.join()
        except KeyboardInterrupt:
            self.stop()

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class ServerGroup:
    """Several servers started together and stopped together (also as a context manager)."""

    servers: dict[str, ServerThread] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return self.servers[name].url

    def stop(self) -> None:
        for s in self.servers.values():
            s.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
