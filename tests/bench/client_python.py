#!/usr/bin/python3
"""The Python `websockets` client (Debian's python3-websockets, asyncio), for reference. Same command line
and output as the C clients (see bench_common.h): client_python.py tput|lat|idle URL [key=value ...]"""
import asyncio
import json
import resource
import ssl
import sys
import time

import websockets


def parse(argv):
    mode, url = argv[1], argv[2]
    a = dict(conns=10000 if mode == 'idle' else 1, size=1 if mode == 'lat' else 64, window=128, secs=2.0,
             warmup=0.5, count=20000, warmupcount=2000, ca=None, deflate=0)
    for kv in argv[3:]:
        k, v = kv.split('=', 1)
        if k not in a:
            sys.exit(f'client_python: unknown option {k}')
        a[k] = v if k == 'ca' else float(v) if k in ('secs', 'warmup') else int(v)
    return mode, url, a


def rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * resource.getpagesize()


async def main():
    mode, url, a = parse(sys.argv)
    kw = dict(compression='deflate' if a['deflate'] else None, max_size=None, ping_interval=None, max_queue=None)
    if url.startswith('wss'):
        ctx = ssl.create_default_context(cafile=a['ca'])
        kw['ssl'] = ctx
    payload = b'a' * a['size']
    if mode == 'idle':
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        r0, t = rss(), time.monotonic()
        socks = await asyncio.gather(*(websockets.connect(url, **kw) for _ in range(a['conns'])))
        open_s = time.monotonic() - t
        d = rss() - r0
        print(json.dumps(dict(conns=len(socks), open_s=open_s, rss_delta=d, per_conn=d / a['conns'])), flush=True)
        return
    if mode == 'lat':
        ws = await websockets.connect(url, **kw)
        ns = []
        for i in range(a['warmupcount'] + a['count']):
            t = time.perf_counter_ns()
            await ws.send(payload)
            await ws.recv()
            if i >= a['warmupcount']:
                ns.append(time.perf_counter_ns() - t)
        ns.sort()
        n = len(ns)
        print(json.dumps(dict(n=n, p50_us=ns[n // 2] / 1e3, p99_us=ns[min(n - 1, n * 99 // 100)] / 1e3,
                              mean_us=sum(ns) / n / 1e3)), flush=True)
        return
    socks = await asyncio.gather(*(websockets.connect(url, **kw) for _ in range(a['conns'])))
    counts = [0] * len(socks)

    async def pump(i, ws):
        for _ in range(a['window']):
            await ws.send(payload)
        async for _ in ws:
            counts[i] += 1
            await ws.send(payload)

    tasks = [asyncio.create_task(pump(i, ws)) for i, ws in enumerate(socks)]
    await asyncio.sleep(a['warmup'])
    base, t0 = sum(counts), time.monotonic()
    await asyncio.sleep(a['secs'])
    n, secs = sum(counts) - base, time.monotonic() - t0
    for t in tasks:
        if t.done() and t.exception():
            sys.exit(f'client_python: {t.exception()}')
    print(json.dumps(dict(msgs=n, bytes=n * a['size'], secs=secs, end=time.time())), flush=True)
    import os
    os._exit(0)


asyncio.run(main())
