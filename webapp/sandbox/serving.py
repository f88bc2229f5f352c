"""Running a fake remote API (a WSGI app with a ``url`` attribute) on a loopback port, in a
thread, for as long as a with-block lasts: ``with SalesforceServer() as fake: fake.url``."""

from __future__ import annotations

import functools
import threading

from werkzeug.serving import make_server


def locked(method):
    """For a fake's methods: the server answers on many threads while a test or the sandbox
    arranges the fake's state, so each method holds the fake's ``_lock``."""

    @functools.wraps(method)
    def holding_the_lock(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return holding_the_lock


class LoopbackServer:
    def __init__(self, fake, port: int = 0, backlog: int | None = None, **server_options):
        self.fake = fake
        self._server = make_server("127.0.0.1", port, fake, threaded=True, **server_options)
        if backlog is not None:  # many clients connecting at once should not see refused connections
            self._server.socket.listen(backlog)
        fake.url = f"http://127.0.0.1:{self._server.server_port}"
        # Polled often, so leaving the with-block takes a moment, not half a second.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self.fake

    def closing(self) -> None:
        """Called first when the block ends: a fake holding answers (or streams) lets them go."""

    def __exit__(self, *exc):
        self.closing()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
