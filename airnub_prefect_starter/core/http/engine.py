"""The fetch engine: one libcurl multi handle, driven by one thread, runs every transfer of a batch.

A batch ingests its items on several threads (their store work, robots.txt and pacing are plain blocking code),
but none of them moves bytes: each hands its request to the engine (:meth:`CurlEngine.perform`) and sleeps until
the transfer is over. The engine's thread waits on all the transfers' sockets at once (``epoll`` through
:mod:`selectors`, libcurl's socket interface) and runs libcurl's callbacks, which push each body into its sink as
it arrives. So a batch's transfers share one connection cache and one event loop, and a request costs two
hand-overs between threads (the request in, the end of the transfer out) rather than one per chunk of its body.
"""

from __future__ import annotations

import selectors
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import pycurl

__all__ = ["CurlEngine"]

#: Longest wait of the loop without any libcurl timer or socket event (it then just looks again).
_IDLE_WAIT_S = 5.0


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass(eq=False)
class _Transfer:
    handle: pycurl.Curl
    #: Released by the engine when the transfer ends (a bare lock: the lightest hand-over between two threads).
    done: threading.Lock = field(default_factory=_held_lock)
    code: int = 0
    message: str = ""


class CurlEngine:
    """A libcurl multi handle and the daemon thread driving it, started by the first transfer; :meth:`close`
    ends it."""

    def __init__(self, name: str = "airnub-fetch-engine") -> None:
        self._name = name
        self._multi = pycurl.CurlMulti()
        self._multi.setopt(pycurl.M_SOCKETFUNCTION, self._on_socket)
        self._multi.setopt(pycurl.M_TIMERFUNCTION, self._on_timer)
        self._selector = selectors.DefaultSelector()
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._selector.register(self._wake_reader, selectors.EVENT_READ)
        self._lock = threading.Lock()
        self._submitted: deque[_Transfer] = deque()
        self._running: dict[pycurl.Curl, _Transfer] = {}
        self._timer_at: float | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def perform(self, handle: pycurl.Curl, wait_s: float) -> tuple[int, str]:
        """Run ``handle``'s transfer (configured, not in another multi) on the engine's thread and wait for it
        to end: libcurl's result code (0: done) and message. ``handle``'s callbacks run on the engine's thread.
        Raises :class:`TimeoutError` when the transfer has not ended after ``wait_s`` (its own timeouts should
        have ended it first); the handle then stays with the engine."""
        transfer = _Transfer(handle)
        with self._lock:
            if self._closed:
                raise RuntimeError("the fetch engine is closed")
            self._submitted.append(transfer)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
                self._thread.start()
        self._wake()
        if not transfer.done.acquire(timeout=wait_s):
            raise TimeoutError(f"the transfer did not end within {wait_s:.0f} s")
        return transfer.code, transfer.message

    def close(self) -> None:
        """Stop the thread once the transfers in flight have ended, and free the multi handle."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        self._wake()
        if thread is not None:
            thread.join()
        self._multi.close()
        self._selector.close()
        self._wake_reader.close()
        self._wake_writer.close()

    def _wake(self) -> None:
        try:
            self._wake_writer.send(b"\0")
        except BlockingIOError:  # already awake: the reader has bytes waiting
            pass

    def _loop(self) -> None:
        while True:
            with self._lock:
                submitted, self._submitted = self._submitted, deque()
                finished = self._closed and not self._running and not submitted
            if finished:
                return
            for transfer in submitted:
                try:
                    self._multi.add_handle(transfer.handle)  # libcurl sets a timer to start it
                except Exception as exc:  # noqa: BLE001 - this transfer cannot start; the others go on
                    self._end(transfer, -1, f"fetch engine cannot start the transfer: {type(exc).__name__}: {exc}")
                else:
                    self._running[transfer.handle] = transfer
            try:
                self._wait_and_act()
                self._collect()
            except Exception as exc:  # noqa: BLE001 - libcurl's multi interface failed: end every transfer, go on
                for handle in list(self._running):
                    self._finish(handle, -1, f"fetch engine error: {type(exc).__name__}: {exc}")

    def _wait_and_act(self) -> None:
        timeout = _IDLE_WAIT_S if self._timer_at is None else max(0.0, self._timer_at - time.monotonic())
        for key, mask in self._selector.select(timeout):
            if key.fileobj is self._wake_reader:
                while True:
                    try:
                        if not self._wake_reader.recv(4096):
                            break
                    except BlockingIOError:
                        break
                continue
            action = (pycurl.CSELECT_IN if mask & selectors.EVENT_READ else 0) | (
                pycurl.CSELECT_OUT if mask & selectors.EVENT_WRITE else 0
            )
            self._multi.socket_action(key.fd, action)
        if self._timer_at is not None and time.monotonic() >= self._timer_at:
            self._timer_at = None
            self._multi.socket_action(pycurl.SOCKET_TIMEOUT, 0)

    def _collect(self) -> None:
        while True:
            queued, succeeded, failed = self._multi.info_read()
            for handle in succeeded:
                self._finish(handle, 0, "")
            for handle, code, message in failed:
                self._finish(handle, int(code), str(message))
            if not queued:
                return

    def _finish(self, handle: pycurl.Curl, code: int, message: str) -> None:
        try:
            self._multi.remove_handle(handle)
        except pycurl.error:
            pass  # it was never added (the multi handle failed first)
        self._end(self._running.pop(handle), code, message)

    @staticmethod
    def _end(transfer: _Transfer, code: int, message: str) -> None:
        transfer.code, transfer.message = code, message
        transfer.done.release()

    def _on_socket(self, event: int, fd: int, _multi: object, _data: object) -> None:
        """libcurl says which events of socket ``fd`` its transfers wait for (or that it is done with it)."""
        if event == pycurl.POLL_REMOVE:
            try:
                self._selector.unregister(fd)
            except (KeyError, ValueError):
                pass
            return
        events = (selectors.EVENT_READ if event & pycurl.POLL_IN else 0) | (
            selectors.EVENT_WRITE if event & pycurl.POLL_OUT else 0
        )
        try:
            self._selector.modify(fd, events)
        except KeyError:
            self._selector.register(fd, events)

    def _on_timer(self, timeout_ms: int) -> None:
        """libcurl wants :meth:`_wait_and_act` to act on its timeout in ``timeout_ms`` (-1: no timer)."""
        self._timer_at = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
