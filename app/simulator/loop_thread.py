"""Run an asyncio server in a daemon thread with its own event loop.

The simulator and its CONNECT proxy are asyncio servers, but sync tests, CLI subprocess tests
and the wizard's demo need them running beside blocking code. One implementation of that
thread dance keeps start-up failures re-raised in the caller and shutdown orderly.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TypeVar

_Server = TypeVar("_Server", bound="ThreadedServer")


class ThreadedServer:
    """Mixin: a class with async `start(host, port)` / `stop()` gains thread-hosted variants.

    `start()` must set `self._loop` to the running loop; `_thread_name` names the thread.
    """

    _thread_name = "modelstudio-server"
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:  # pragma: no cover
        raise NotImplementedError

    async def stop(self) -> None:  # pragma: no cover
        raise NotImplementedError

    def start_in_thread(self: _Server, host: str = "127.0.0.1", port: int = 0) -> _Server:
        """Serve from a daemon thread; returns self once listening (or re-raises the failure)."""
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start(host, port))
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name=self._thread_name, daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return self

    def stop_thread(self) -> None:
        if self._thread is None or self._loop is None:
            return
        loop = self._loop
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=30)
        self._thread = None
