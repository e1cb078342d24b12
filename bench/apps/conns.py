#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Opens N keep-alive connections to an HTTP/1.1 server, sends one GET on
each, reads each response whole, and keeps every connection open.

    conns.py --port P --count 10000

Prints "OPEN <connections> <responses> <errors> <seconds>" on stdout once
every connection has its response (or failed), then holds them until stdin
closes or SIGTERM. "AGAIN" on stdin sends one more request on each and prints
another OPEN line.
"""
import argparse
import asyncio
import resource
import signal
import sys
import time


async def one_request(reader, writer, host):
    writer.write(f"GET / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: wirespan-bench\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if length:
        await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def main_async(args):
    conns, ok, errors = [], 0, 0
    sem = asyncio.Semaphore(args.parallel)

    async def open_one():
        nonlocal ok, errors
        async with sem:
            try:
                r, w = await asyncio.open_connection(args.host, args.port)
                conns.append((r, w))
                good = await one_request(r, w, args.host)
                ok += good
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
                errors += 1
                if errors <= 3:
                    print(f"conns: {type(e).__name__}: {e}", file=sys.stderr)

    async def round_(coros):
        t0 = time.monotonic()
        await asyncio.gather(*coros)
        print(f"OPEN {len(conns)} {ok} {errors} {time.monotonic() - t0:.2f}", flush=True)

    await round_(open_one() for _ in range(args.count))

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)

    async def again(rw):
        nonlocal ok, errors
        async with sem:
            try:
                good = await one_request(*rw, args.host)
                ok += good
            except (OSError, asyncio.IncompleteReadError):
                errors += 1

    async def commands():
        while True:
            line = await stdin.readline()
            if not line:
                stop.set()
                return
            if line.strip() == b"AGAIN":
                await round_(again(rw) for rw in list(conns))

    task = asyncio.create_task(commands())
    await stop.wait()
    task.cancel()
    for _, w in conns:
        w.close()


def main():
    ap = argparse.ArgumentParser(description="hold N keep-alive HTTP connections")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--parallel", type=int, default=256, help="connections being opened at once")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.count + 64
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
        except (ValueError, OSError) as e:
            sys.exit(f"conns: cannot raise the open-file limit to {want} (now {soft}/{hard}): {e}")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
