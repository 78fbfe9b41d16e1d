"""The HTTP engine alone: N small files from a loopback server, each body SHA-256 hashed and written to its own file,
through the project's transport (``fetch`` on pycurl, items on threads as a batch runs them) beside the
alternatives it was chosen over, and curl, in the same run. Reports the CPU seconds of each client's own process
per 1000 files (the server runs in another process), which a busy machine disturbs far less than wall time.

Usage: ``python benchmarks/bench_transport.py [--files 1000] [--size-kib 100] [--threads 8] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _support import run_child, static_server

CLIENTS = ("curl", "airnub fetch (engine, 8 threads)", "pycurl CurlMulti (one thread)", "httpx (one thread)")


class _FileSink:
    def __init__(self, path: Path) -> None:
        self.handle = path.open("wb")
        self.digest = hashlib.sha256()
        self.size_bytes = 0

    def write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.handle.write(chunk)
        self.size_bytes += len(chunk)

    def finish(self) -> str:
        self.handle.close()
        return self.digest.hexdigest()


def airnub_fetch(urls: list[str], out: Path, threads: int) -> None:
    from airnub_prefect_starter.core.http.deadline import Deadline
    from airnub_prefect_starter.core.http.fetch import build_http_client, fetch
    from airnub_prefect_starter.core.http.policy import HttpPolicy

    policy = HttpPolicy(allow_private_networks=True)
    with build_http_client(policy) as transport:

        def one(numbered: tuple[int, str]) -> None:
            number, url = numbered
            fetch(
                transport,
                url,
                policy,
                Deadline(60),
                {"Accept-Encoding": "identity"},
                receive=lambda _: _FileSink(out / str(number)),
            )

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, enumerate(urls)))


def curl_multi(urls: list[str], out: Path, in_flight: int) -> None:
    import pycurl

    multi = pycurl.CurlMulti()
    free = [pycurl.Curl() for _ in range(in_flight)]
    pending = list(enumerate(urls))
    active = 0
    while pending or active:
        while pending and free:
            number, url = pending.pop()
            handle = free.pop()
            sink = _FileSink(out / str(number))
            handle.setopt(pycurl.URL, url)
            handle.setopt(pycurl.WRITEFUNCTION, sink.write)
            handle.sink = sink  # type: ignore[attr-defined]
            multi.add_handle(handle)
            active += 1
        while multi.perform()[0] == pycurl.E_CALL_MULTI_PERFORM:
            pass
        _, done, failed = multi.info_read()
        for handle in [*done, *(h for h, _code, _msg in failed)]:
            handle.sink.finish()  # type: ignore[attr-defined]
            multi.remove_handle(handle)
            free.append(handle)
            active -= 1
        if active:
            multi.select(1.0)


def httpx_one_thread(urls: list[str], out: Path) -> None:
    import httpx

    with httpx.Client() as client:
        for number, url in enumerate(urls):
            with client.stream("GET", url) as response:
                sink = _FileSink(out / str(number))
                for chunk in response.iter_raw():
                    sink.write(chunk)
                sink.finish()


def child(client: str, urls_file: str, out: str, threads: int) -> None:
    """Runs in its own process: one client, its CPU time printed."""
    urls = Path(urls_file).read_text().split()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    if client == CLIENTS[1]:
        airnub_fetch(urls, Path(out), threads)
    elif client == CLIENTS[2]:
        curl_multi(urls, Path(out), threads)
    else:
        httpx_one_thread(urls, Path(out))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    print(f"{cpu} {time.perf_counter() - started}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--size-kib", type=int, default=100)
    parser.add_argument("--threads", type=int, default=8, help="threads (pycurl: transfers in flight)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="airnub-bench-transport-"))
    cpu: dict[str, list[float]] = {name: [] for name in CLIENTS}
    wall: dict[str, list[float]] = {name: [] for name in CLIENTS}
    try:
        served = work / "served"
        served.mkdir()
        for i in range(args.files):
            (served / f"f{i:05d}.bin").write_bytes(os.urandom(args.size_kib * 1024))
        with static_server(served) as base:
            urls = [f"{base}/f{i:05d}.bin" for i in range(args.files)]
            (work / "urls").write_text("\n".join(urls))
            for attempt in range(args.repeat):
                for name in CLIENTS:
                    out = work / f"out-{attempt}-{CLIENTS.index(name)}"
                    out.mkdir()
                    if name == "curl":
                        config = work / "curl.cfg"
                        config.write_text("".join(f'url = "{u}"\noutput = "{out}/{i}"\n' for i, u in enumerate(urls)))
                        run = run_child(["curl", "-sS", "-K", str(config)])
                        cpu[name].append(run.cpu_seconds)
                        wall[name].append(run.seconds)
                        continue
                    line = subprocess.run(
                        [sys.executable, __file__, "--child", name, str(work / "urls"), str(out), str(args.threads)],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout.split()
                    cpu[name].append(float(line[0]))
                    wall[name].append(float(line[1]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    per = 1000 / args.files
    print(f"{args.files} x {args.size_kib} KiB from loopback, hashed and written; medians of {args.repeat}")
    for name in CLIENTS:
        print(
            f"{name:<34}: {statistics.median(cpu[name]) * per:5.2f} CPU s per 1000 files, "
            f"{statistics.median(wall[name]) * per:5.2f} s wall"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
