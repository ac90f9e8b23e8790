#!/usr/bin/python3
"""The Python `websockets` test peer (Debian python3-websockets 10.x, legacy asyncio server).

Usage: peer_python.py CERT_DIR

Listens on 127.0.0.1 with random free ports, prints "LISTEN ws <port>", "LISTEN wss <port>", then
"READY", and exits when its stdin closes. Paths, as in peer_node.mjs:

  /echo         echo every message with its type
  /fragment     echo every message split into 3 fragments
  /ping         send a ping "tt-ping"; once the pong arrives, send the text "pong tt-ping"
  /close?code=C&reason=R   close right after the handshake
  /protocol     echo; the server speaks the subprotocols "chat" and "superchat"
  /drop         close TCP right after the handshake, without a Close frame
  /echo-close   echo; after "close-me" close with 4002 "server says bye"
"""
import asyncio
import os
import ssl
import sys
import urllib.parse

import websockets

CERT_DIR = sys.argv[1]


async def handler(ws, path=None):
    # websockets < 13 (legacy) has ws.path; the newer implementation has ws.request.path.
    url = urllib.parse.urlsplit(getattr(ws, "path", None) or ws.request.path)
    query = urllib.parse.parse_qs(url.query)
    route = url.path
    try:
        if route in ("/echo", "/protocol"):
            async for message in ws:
                await ws.send(message)
        elif route == "/echo-close":
            async for message in ws:
                if message == "close-me":
                    await ws.close(4002, "server says bye")
                    break
                await ws.send(message)
        elif route == "/fragment":
            async for message in ws:
                n = len(message)
                cuts = [0, n // 3, 2 * n // 3, n]
                await ws.send([message[cuts[i]:cuts[i + 1]] for i in range(3)])
        elif route == "/ping":
            pong = await ws.ping(b"tt-ping")
            await pong
            await ws.send("pong tt-ping")
            await ws.wait_closed()
        elif route == "/close":
            await ws.close(int(query["code"][0]), query.get("reason", [""])[0])
        elif route == "/drop":
            ws.transport.close()
        else:
            await ws.close(1011, "unknown path")
    except websockets.ConnectionClosed:
        pass


async def main():
    common = dict(
        subprotocols=["chat", "superchat"],
        # TT_PY_COMPRESSION=deflate: negotiate permessage-deflate (websockets' default settings), for the
        # compression interop run (integration.python.deflate).
        compression="deflate" if os.environ.get("TT_PY_COMPRESSION") == "deflate" else None,
        ping_interval=None,
        max_size=64 * 1024 * 1024,
        max_queue=None,
    )
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(f"{CERT_DIR}/server.pem", f"{CERT_DIR}/server.key")
    plain = await websockets.serve(handler, "127.0.0.1", 0, **common)
    secure = await websockets.serve(handler, "127.0.0.1", 0, ssl=tls, **common)
    for name, server in (("ws", plain), ("wss", secure)):
        port = server.sockets[0].getsockname()[1]
        print(f"LISTEN {name} {port}", flush=True)
    print("READY", flush=True)

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def on_stdin():
        data = sys.stdin.buffer.raw.read(4096)
        if not data and not stop.done():
            stop.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    await stop


if __name__ == "__main__":
    asyncio.run(main())
