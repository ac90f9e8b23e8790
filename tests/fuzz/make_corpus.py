#!/usr/bin/env python3
"""Writes the small hand-made seed corpora into tests/fuzz/corpus/<target>/ (run from anywhere).

Each target's input layout is described at the top of its fuzz_<target>.c; the seeds follow it.
"""
import base64
import hashlib
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_for(key: bytes) -> bytes:
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def frame(op, payload=b"", fin=True, rsv=0, masked=False, length_form=None):
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    n = len(payload)
    form = length_form or ("7" if n <= 125 else "16" if n <= 0xFFFF else "64")
    m = 0x80 if masked else 0
    if form == "7":
        head = bytes([b0, m | n])
    elif form == "16":
        head = bytes([b0, m | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack(">Q", n)
    if masked:
        key = b"\x01\x02\x03\x04"
        head += key
        payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
    return head + payload


def close(code=None, reason=b""):
    return frame(8, b"" if code is None else struct.pack(">H", code) + reason)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- url
urls = [b"ws://a/", b"wss://example.com/chat?x=1", b"ws://user:pw@host:8080/p", b"wss://[::1]:9000/",
        b"http://h?q", b"https://B.Example.:443/", b"ws://h:/", b"ws://h:65535", b"ws://h:65536",
        b"wss://a.example:8443/x", b"ftp://a/", b"ws://a/#f", b"ws:/a", b"ws://[1:2]/", b"ws://a b/",
        b"WSS://EXAMPLE.COM", b"ws://@/", b"ws://h\x00/"]
for i, u in enumerate(urls):
    write("url", "seed-%02d" % i, u)

# ---- handshake: flags byte, split byte, answer
RFC_ACCEPT = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def answer(extra=b"", status=b"101 Switching Protocols", accept=RFC_ACCEPT):
    return (b"HTTP/1.1 " + status + b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
            + accept + b"\r\n" + extra + b"\r\n")


hs = [
    (0, answer()),
    (1, answer(b"Sec-WebSocket-Protocol: chat\r\n")),
    (2, answer(b"Sec-WebSocket-Protocol: chat, superchat\r\n")),
    (3, answer(b"Sec-WebSocket-Protocol: v2.json\r\n")),
    (4, answer(b"Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Extensions: x\r\n")),
    (0, answer(b"", b"404 Not Found")),
    (0, answer(b"X-Folded: a\r\n b\r\n")),
    (0, b"HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nconnection: keep-alive, upgrade\r\nsec-websocket-accept: "
        + RFC_ACCEPT + b"\r\n\r\nextra bytes"),
    (0, b"HTTP/1.0 101 OK\r\n\r\n"),
    (0, b"HTTP/1.1 101 OK\nUpgrade: websocket\n\n"),
    (0, answer()[:40]),
]
for i, (flags, a) in enumerate(hs):
    write("handshake", "seed-%02d" % i, bytes([flags, 0x80]) + a)

# ---- frame: flags, 4 mask bytes, bytes
frames = [frame(1, b"hello"), frame(2, bytes(200)), frame(2, bytes(70000)[:300], length_form="64"),
          frame(1, b"x" * 130), frame(9, b"ping"), frame(10), close(1000, b"bye"), close(), close(1005),
          frame(8, b"\x03"), close(4999, b"\xce\xba\xe1\xbd\xb9"), close(1002, b"\xed\xa0\x80"),
          frame(1, b"abc", masked=True), frame(0, b"", fin=False, rsv=4), bytes([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1]),
          bytes([0x81, 0x7E, 0x00])]
for i, f in enumerate(frames):
    write("frame", "seed-%02d" % i, bytes([i, 0x12, 0x34, 0x56, 0x78]) + f)

# ---- utf8: n, n chunk sizes, text
texts = [b"plain ascii text, long enough for the word loop",
         "κόσμε €𐍈 \u0000 \uffff \U0010ffff".encode(), b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80",
         b"\xed\x9f\xbf", b"\xf4\x90\x80\x80", b"\xf4\x8f\xbf\xbf", b"\xf0\x8f\xbf\xbf", b"\xf5", b"\x80",
         b"\xe2\x82", b"abc\xf0\x9f\x98", "a€b𐍈c".encode() * 5]
for i, t in enumerate(texts):
    sizes = bytes([1, 2, 3, 0, 5][: i % 6])
    write("utf8", "seed-%02d" % i, bytes([len(sizes)]) + sizes + t)

# ---- session: opt, nsched, schedule, server bytes (after the generated 101 unless opt bit 5)
def session(opt, sched, server):
    return bytes([opt, len(sched)]) + bytes(sched) + server


frag = frame(1, "héllo ".encode(), fin=False) + frame(9, b"p") + frame(0, "wörld".encode())
sess = [
    session(0, [], frame(1, b"hello") + frame(2, bytes(range(256))) + close(1000, b"bye")),
    session(0, [0, 1, 2, 3], frag + close()),
    session(1, [31], frame(1, b"x" * 300) + frame(2, b"y" * 70000, length_form="64")[:400]),
    session(0x08, [0x80 | 3, 0xA0 | 4, 0xE0 | 31, 5], frame(2, b"z" * 20) + frame(10, b"pong") + frame(9, b"")),
    session(0x40 | 2, [0xC0 | 2, 0xE0 | 31, 1], frame(1, b"a") + close(3000)),
    session(0, [1], frame(1, b"\xce\xba\xe1", fin=False) + frame(0, b"\xbd\xb9\xce\xbc\xe1\xbd\xb3")),
    session(0, [2], frame(1, b"\xed\xa0\x80")),
    session(0, [], frame(1, b"abc", masked=True)),
    session(0x14, [7], frame(2, bytes(200))),
    session(0, [], frame(0, b"orphan")),
    session(0, [], frame(8, b"\x03\xe8\xff")),
]
# Raw mode (bit 5): the fuzz bytes are the whole answer; the session's key is fixed by the counter hook.
key = base64.b64encode(bytes(range(0x42, 0x52)))
sess.append(session(0x20, [3], answer(accept=accept_for(key)) + frame(1, b"raw")))
sess.append(session(0x20, [], b"HTTP/1.1 200 OK\r\n\r\n"))
for i, s in enumerate(sess):
    write("session", "seed-%02d" % i, s)

# ---- session_deflate: opt, params, window bits, [n, free params], nsched, schedule, then raw server
# bytes (compose off) or records flags/length/payload (compose, opt bit 3); see fuzz_session_deflate.c
import zlib


def pmd(data, bits=15):
    c = zlib.compressobj(6, zlib.DEFLATED, -bits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def sd(opt, prm, wb, sched, rest, free=None):
    head = bytes([opt, prm, wb])
    if free is not None:
        head += bytes([len(free)]) + free
    return head + bytes([len(sched)]) + bytes(sched) + rest


def rec(kind, payload=b"", fin=True, text=False, compress=False, corrupt=False):
    flags = kind | (4 if text else 0) | (8 if fin else 0) | (16 if compress else 0) | (32 if corrupt else 0)
    return bytes([flags, len(payload)]) + payload


sdef = [
    sd(0, 0, 0, [], frame(1, pmd(b"hello hello hello"), rsv=4) + frame(2, pmd(bytes(200)), rsv=4) + close(1000)),
    sd(0, 4 | 8, 0x21, [0xA0 | 3, 0xE0 | 31], frame(1, pmd(b"abcabcabc", 9), rsv=4) + frame(1, b"plain")),
    sd(0, 1 | 2, 0, [0x80 | 5, 0xE0 | 9], frame(1, pmd(b"x" * 100), rsv=4, fin=False) + frame(9, b"p")
       + frame(0, b"")),
    sd(0, 0, 0, [], frame(1, b"\xff\xff\xff", rsv=4)),
    sd(0, 0, 0, [], frame(9, b"", rsv=4)),
    sd(0x20, 0, 0, [], frame(1, pmd(b"free"), rsv=4), free=b"; client_max_window_bits=10; server_max_window_bits=12"),
    sd(0x20, 0, 0, [], b"", free=b"; client_max_window_bits"),
    sd(0x20, 0, 0, [], b"", free=b"; server_max_window_bits=08"),
    sd(0, 16, 0, [], b""),
    sd(0x08, 0, 0, [], rec(0, "héllo wörld ".encode() * 4, text=True, compress=True) + rec(0, bytes(100), compress=True)
       + rec(2, b"ping") + rec(3, b"\x03\xe8bye")),
    sd(0x08 | 5, 4 | 1, 0x00, [0x80 | 3, 0xA0 | 7, 0xE0 | 31, 2],
       rec(0, b"frag-" * 10, fin=False, text=True, compress=True) + rec(2, b"mid") + rec(1, b"ment" * 20, fin=False)
       + rec(1, b"", fin=True) + rec(0, b"again " * 30, text=True, compress=True)),
    sd(0x08 | 2, 2 | 8, 0x70, [0xC0 | 1], rec(0, b"z" * 40, compress=True) + rec(0, b"y" * 10) + rec(2, b"")),
    sd(0x08, 0, 0, [], rec(0, b"abcdefgh" * 8, compress=True, corrupt=True) + rec(0, b"next", compress=True)),
    sd(0x08 | 3, 0, 0, [], rec(0, b"q" * 200, text=True, compress=True)),
    sd(0x08, 0, 0, [], rec(0, b"", compress=True) + rec(0, b"", fin=False, compress=True) + rec(1, b"")),
    sd(0x08, 0, 0, [], rec(0, b"\xed\xa0\x80", text=True, compress=True)),
]
for i, s in enumerate(sdef):
    write("session_deflate", "seed-%02d" % i, s)

# ---- core: programs of (opcode, args...); see run_step() in fuzz_core.c
CONFIGURE, CONNECT, SEND, CLOSE, OPEN, MSG, FAIL, UCLOSE, POLL, CLOCK, AUTO, INJECT, ARM, QUERY, MISC = \
    0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
T = 3  # pick_task selector: the first task of the run
core = [
    bytes([CONNECT, 0, 0, 0, POLL, OPEN, T, 0, POLL, MSG, T, 5]) + b"hello" + bytes([POLL, CLOSE, T, 1, POLL,
          UCLOSE, T, 8 | 0, POLL]),
    bytes([CONNECT, 1, 1, 0, POLL | 0x30, CLOCK, 200, POLL | 0x30]),
    bytes([AUTO | 0x10, CONNECT, 0, 1, 0, POLL, POLL, SEND, T, 3]) + b"abc" + bytes([POLL, POLL, CLOSE, T, 3,
          POLL, POLL, POLL]),
    bytes([CONNECT, 0, 0, 0, OPEN, T, 0, SEND, T, 2]) + b"hi" + bytes([ARM | 0x10, 1, MSG, T, 2]) + b"yo" +
    bytes([POLL, FAIL, T, 4, POLL]),
    bytes([CONFIGURE, 0x21, CONNECT, 0, 0, 0, POLL, OPEN, T, 1, MSG, T, 20]) + b"x" * 20 + bytes([POLL]),
    bytes([CONNECT, 0, 0, 0, ARM | 0x40, 0, POLL, CONNECT, 0, 0, 0]),
    bytes([INJECT | 0x10, CONNECT, 0, 0, 0, POLL, CONNECT, 6, 0, 0, POLL, QUERY, T]),
    bytes([CONNECT, 0, 0, 0, OPEN, T, 0, INJECT | 0x40, SEND, T, 1, 0x41, POLL, MISC | 0x10, CONNECT, 0, 0, 0]),
    bytes([CONNECT, 0, 3, 5, CLOSE, T, 0x18, 0x10, 0x00, POLL, ARM | 0x20, 1, CONNECT, 0, 0, 0, POLL]),
]
for i, c in enumerate(core):
    write("core", "seed-%02d" % i, c)
print("corpus written to", os.path.join(HERE, "corpus"))
