"""Where one small download's CPU goes, layer by layer, against the benchmarks' loopback server (one thread).

Usage: ``python benchmarks/profile_fetch_path.py [--requests 2000] [--size-kib 100] [--rounds 10] [--profile]``
(``--no-batch``: the layers only).

Each layer does the same work on the same URLs (read the whole body, SHA-256 it, write it to /dev/null), so the
difference between two layers is what the outer one adds per request:

- ``socket``: a hand-written HTTP/1.1 exchange on one kept-alive socket (the floor for Python);
- ``httpcore``: an ``httpcore.ConnectionPool`` with the policy's network backend (h11 parsing, pool bookkeeping);
- ``httpx``: ``httpx.Client.send`` through that pool (request building, models, cookies);
- ``fetch``: :func:`open_response` + :func:`stream_body`, the package's fetch path (policy checks, redirects,
  deadline, byte limits, hashing writer);
- ``batch first`` / ``batch rerun``: ``ingest_batch`` over all the URLs into a fresh store and SQLite index, then
  again (each answered by a 304): robots.txt and pacing, the store, the manifest, the index.

The machine may be shared and noisy: the layers run in interleaved blocks and the medians of the blocks are
reported (CPU time of this process, and wall time). ``--profile`` adds a cProfile (CPU clock) of the fetch layer
and of a first batch, with each function's own time summed by package (a C function's time goes to its caller's
package, except socket, hashing and file writes); cProfile's overhead inflates code that makes many small calls,
so the shares are indicative and the unprofiled layer differences are the measurement.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import os
import pstats
import shutil
import socket
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpcore
from _support import static_server

from airnub_prefect_starter.core.http.deadline import Deadline
from airnub_prefect_starter.core.http.fetch import build_http_client, open_response, stream_body
from airnub_prefect_starter.core.http.policy import HttpPolicy, PolicyNetworkBackend
from airnub_prefect_starter.core.store.hashing_writer import HashingWriter
from airnub_prefect_starter.ingestion.batch import BatchRuntime, ingest_batch
from airnub_prefect_starter.ingestion.config import FileToAcquire

BLOCK = 100  # requests per timed block


def socket_layer(base: str, sink: Any) -> Callable[[str], None]:
    host, port = base.split("//", 1)[1].split(":")
    sock = socket.create_connection((host, int(port)))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def fetch(url: str) -> None:
        path = url[len(base) :]
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept-Encoding: identity\r\n\r\n"
        sock.sendall(request.encode())
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            buffer += sock.recv(1 << 20)
        head, _, body = buffer.partition(b"\r\n\r\n")
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        digest, received = hashlib.sha256(body), len(body)
        sink.write(body)
        while received < length:
            chunk = sock.recv(1 << 20)
            received += len(chunk)
            digest.update(chunk)
            sink.write(chunk)

    return fetch


def httpcore_layer(sink: Any) -> Callable[[str], None]:
    pool = httpcore.ConnectionPool(network_backend=PolicyNetworkBackend(guard=False))

    def fetch(url: str) -> None:
        headers = [(b"Accept-Encoding", b"identity"), (b"User-Agent", b"profile")]
        with pool.stream("GET", url, headers=headers) as response:
            digest = hashlib.sha256()
            for chunk in response.iter_stream():
                digest.update(chunk)
                sink.write(chunk)

    return fetch


def httpx_layer(policy: HttpPolicy, sink: Any) -> Callable[[str], None]:
    client = build_http_client(policy)

    def fetch(url: str) -> None:
        response = client.send(client.build_request("GET", url, headers={"Accept-Encoding": "identity"}), stream=True)
        try:
            digest = hashlib.sha256()
            for chunk in response.iter_raw():
                digest.update(chunk)
                sink.write(chunk)
        finally:
            response.close()

    return fetch


def fetch_layer(policy: HttpPolicy, sink: Any) -> Callable[[str], None]:
    client = build_http_client(policy)

    def fetch(url: str) -> None:
        deadline = Deadline(policy.total_deadline_s)
        with (
            open_response(client, url, policy, deadline, {"Accept-Encoding": "identity"}) as fetched,
            HashingWriter(sink) as writer,
        ):
            stream_body(fetched, writer, policy, deadline, url)

    return fetch


def timed_block(fetch: Callable[[str], None], urls: Sequence[str]) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    for url in urls:
        fetch(url)
    return (time.process_time() - cpu) / len(urls) * 1e3, (time.perf_counter() - wall) / len(urls) * 1e3


def by_package(profile: cProfile.Profile) -> dict[str, float]:
    """Own time per package; a C function's time is charged to its callers' packages in proportion."""
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, name), (_cc, _nc, tottime, _ct, callers) in stats.items():
        if filename == "~":
            special = _c_bucket(name)
            if special:
                totals[special] += tottime
                continue
            caller_time = sum(c[2] for c in callers.values()) or 1.0
            for caller, (_c1, _c2, tt, _ct2) in callers.items():
                totals[_bucket(caller[0])] += tottime * tt / caller_time
            if not callers:
                totals["other"] += tottime
        else:
            totals[_bucket(filename)] += tottime
    return totals


def _c_bucket(name: str) -> str | None:
    if "'recv'" in name or "'send'" in name or "'sendall'" in name or "'recv_into'" in name:
        return "socket send/recv"
    if "_hashlib" in name or "sha256" in name:
        return "sha256"
    if "'write' of '_io" in name or "posix.write" in name or "'flush'" in name:
        return "file writes"
    return None


def _bucket(filename: str) -> str:
    path = filename.replace(os.sep, "/")
    if "/airnub_prefect_starter/" in path:
        rest = path.split("/airnub_prefect_starter/", 1)[1]
        parts = rest.split("/")
        return "airnub " + "/".join(parts[:2] if parts[0] == "core" else parts[:1]).removesuffix(".py")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if path.startswith("<") or path.endswith("profile_fetch_path.py"):
        return "other"
    return "stdlib"


def print_profile(title: str, profile: cProfile.Profile, unprofiled_ms: float) -> None:
    totals = by_package(profile)
    profiled = sum(totals.values())
    print(f"\n{title}: cProfile shares applied to the unprofiled {unprofiled_ms:.3f} ms CPU per request")
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        share = seconds / profiled
        if share >= 0.005:
            print(f"  {name:<28} {share * unprofiled_ms:7.3f} ms  ({share:5.1%})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--size-kib", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10, help="interleaved rounds over the layers")
    parser.add_argument("--files", type=int, default=1000, help="distinct files (the layers cycle over them)")
    parser.add_argument("--profile", action="store_true", help="also print cProfile shares by package")
    parser.add_argument("--no-batch", action="store_true", help="time the layers only, not ingest_batch")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airnub-profile-fetch-"))
    policy = HttpPolicy(allow_private_networks=True)
    try:
        served = work / "served"
        served.mkdir()
        for i in range(args.files):
            (served / f"f{i:05d}.bin").write_bytes(os.urandom(args.size_kib * 1024))
        with static_server(served) as base, open(os.devnull, "wb") as sink:
            urls = [f"{base}/f{i % args.files:05d}.bin" for i in range(args.requests)]
            layers = {
                "socket": socket_layer(base, sink),
                "httpcore": httpcore_layer(sink),
                "httpx": httpx_layer(policy, sink),
                "fetch": fetch_layer(policy, sink),
            }
            for fetch in layers.values():  # connections open, caches warm
                for url in urls[:BLOCK]:
                    fetch(url)
            cpu: dict[str, list[float]] = defaultdict(list)
            wall: dict[str, list[float]] = defaultdict(list)
            blocks = [urls[i : i + BLOCK] for i in range(0, len(urls), BLOCK)]
            for _round in range(args.rounds):
                for block in blocks:
                    for name, fetch in layers.items():
                        block_cpu, block_wall = timed_block(fetch, block)
                        cpu[name].append(block_cpu)
                        wall[name].append(block_wall)
            batch = [] if args.no_batch else batch_layer(work, base, urls[: args.files], args.rounds, cpu, wall)
            runs = f"; batch: {len(urls[: args.files])} files, median of {len(cpu['batch first'])} runs"
            print(
                f"{args.requests} requests x {args.size_kib} KiB, loopback, one thread; medians of "
                f"{len(cpu['socket'])} blocks of {BLOCK}{runs if batch else ''}"
            )
            previous = 0.0
            for name in (*layers, *batch):
                median_cpu, median_wall = statistics.median(cpu[name]), statistics.median(wall[name])
                added = f"+{median_cpu - previous:6.3f}" if name in layers and name != "socket" else " " * 7
                print(f"  {name:<12} CPU {median_cpu:6.3f} ms/request {added}   wall {median_wall:6.3f} ms")
                previous = median_cpu if name in layers else previous
            if args.profile:
                profile = cProfile.Profile(time.process_time)
                profile.runcall(lambda: [layers["fetch"](url) for url in urls])
                print_profile("fetch layer", profile, statistics.median(cpu["fetch"]))
                if batch:
                    profile = cProfile.Profile(time.process_time)
                    _run_batch(work / "profiled", base, urls[: args.files], profile)
                    print_profile("batch, first run", profile, statistics.median(cpu["batch first"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def batch_layer(
    work: Path, base: str, urls: Sequence[str], rounds: int, cpu: dict[str, list[float]], wall: dict[str, list[float]]
) -> list[str]:
    """Time ``ingest_batch`` (first run, then an unchanged re-run) ``max(rounds // 3, 1)`` times."""
    for attempt in range(max(rounds // 3, 1)):
        root = work / f"batch-{attempt}"
        for label in ("batch first", "batch rerun"):
            started_cpu, started = time.process_time(), time.perf_counter()
            _run_batch(root, base, urls, None)
            cpu[label].append((time.process_time() - started_cpu) / len(urls) * 1e3)
            wall[label].append((time.perf_counter() - started) / len(urls) * 1e3)
        shutil.rmtree(root)
    return ["batch first", "batch rerun"]


def _run_batch(root: Path, base: str, urls: Sequence[str], profile: cProfile.Profile | None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    policy = HttpPolicy(allow_private_networks=True)
    runtime = BatchRuntime(
        category="files",
        data_source_name="bench",
        store_base=str(root / "cas"),
        index_url=f"sqlite:///{root / 'index.db'}",
        policy=policy,
    )
    items = [FileToAcquire(name=f"f{i}", url=url) for i, url in enumerate(urls)]
    if profile is None:
        outcomes = ingest_batch("download", items, runtime)
    else:
        outcomes = profile.runcall(ingest_batch, "download", items, runtime)
    failed = [o for o in outcomes if o.status == "failed"]
    assert not failed, failed[0]


if __name__ == "__main__":
    main()
