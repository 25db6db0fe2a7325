"""One control for any long piece of work (staging a file, an upload, a task of the window): pause,
resume and cancel it from another thread; the work checks it between steps and during waits."""

from __future__ import annotations

import threading


class Control:
    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()  # wake paused work so it can stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (and while paused); False if cancelled meanwhile."""
        self._running.wait()
        if seconds > 0:
            self._cancel.wait(seconds)
        self._running.wait()
        return not self._cancel.is_set()
