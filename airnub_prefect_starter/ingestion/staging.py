"""Fetch a URL into the store's temp area: the one "fetch into the store" step of ingestion and repair.

The body is streamed through the policy-checked :func:`~airnub_prefect_starter.core.http.fetch.fetch` into a
temp file of the store, SHA-256 hashed as it is written (the store's ``HashingWriter``), while the URL's host slot
is held; the slot is free again before the caller stores the body. The temp file is removed when the block ends,
unless the caller published it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from airnub_prefect_starter.core.http.auth import NO_CREDENTIALS, Credentials
from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.fetch import FetchedResponse, StreamedBody, fetch, filename_from_response
from airnub_prefect_starter.core.http.policy import HttpPolicy
from airnub_prefect_starter.core.http.transport import HttpTransport
from airnub_prefect_starter.core.store.hashing_writer import HashingWriter
from airnub_prefect_starter.core.store.store import Store, object_filename

__all__ = ["StagedBody", "fetch_into_store"]


@dataclass(frozen=True)
class StagedBody:
    """A fetched response and, unless it was a 304, its body in a temp file of the store."""

    fetched: FetchedResponse
    #: The temp file holding the body, and the object's file name (Content-Disposition, else the final URL).
    temp_path: Path | None = None
    filename: str | None = None

    @property
    def body(self) -> StreamedBody | None:
        return self.fetched.body


@contextlib.contextmanager
def fetch_into_store(
    store: Store,
    client: HttpTransport,
    url: str,
    policy: HttpPolicy,
    deadline: Deadline,
    headers: Mapping[str, str],
    *,
    fallback_name: str,
    before_request: Callable[[str], None] | None = None,
    credentials: Credentials = NO_CREDENTIALS,
    host_slot: Callable[[str], AbstractContextManager[object]] = contextlib.nullcontext,
) -> Iterator[StagedBody]:
    """Fetch ``url`` (see :func:`~airnub_prefect_starter.core.http.fetch.fetch`) into a temp file of ``store``,
    holding ``host_slot(url)`` for the transfer only; ``deadline`` starts once the slot is held. Yields the
    :class:`StagedBody`; the temp file is gone after the block unless it was published."""
    with contextlib.ExitStack() as temp:
        staged: list[tuple[Path, str]] = []

        def into_temp_file(fetched: FetchedResponse) -> HashingWriter:
            name = object_filename(filename_from_response(fetched.response, fetched.final_url, fallback=fallback_name))
            temp_path, sink = temp.enter_context(store.temp_file())
            staged.append((temp_path, name))
            return temp.enter_context(HashingWriter(sink))

        with host_slot(url):
            deadline.start()  # an item waiting for a host slot has not started its budget
            fetched = fetch(
                client,
                url,
                policy,
                deadline,
                headers,
                before_request,
                credentials=credentials,
                receive=into_temp_file,
            )
        if not staged:
            yield StagedBody(fetched)
            return
        [(temp_path, filename)] = staged
        yield StagedBody(fetched, temp_path, filename)
