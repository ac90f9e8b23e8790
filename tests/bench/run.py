#!/usr/bin/python3
"""The benchmark driver behind `make bench` / `make bench-smoke`.

Starts the echo servers (server_lws: libwebsockets ws/wss/deflate; server_raw: the raw-TCP ceiling, the same
through TLS, and the raw WS echo: a WebSocket echo as cheap as the raw-TCP one, for ttsocket's own ceiling), runs
every client on every workload several times, interleaved (the client order rotates each repetition, so
slow drift of the machine spreads over everyone), and prints one table per workload with the median, the
spread (min-max) and the ratio ttsocket / peer of the medians of this same run. The tables, the targets of
the issue and the machine description go to OUT/results.md (and every raw sample to OUT/results.json).

Numbers never make this script fail. With --smoke every workload runs briefly and the exit status says
only whether every client ran and produced numbers; a throughput of 0 (no echo at all) is no number.

Pinning (2 cores or more): server on CPU 1, client on CPU 0 for throughput, memory and the
"different cores" latency; both on CPU 0 for "same core".
"""
import argparse
import datetime
import gzip
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
PY = '/usr/bin/python3'

MB = 1e6
MIB = 1 << 20

# The rows against the raw WS echo (server_raw --ws) rather than the libwebsockets echo server: ttsocket's
# own ceiling and that server's. Neither is a WebSocket client through the echo server of the other rows.
RAW_WS_TT = 'ttsocket (raw WS echo)'
RAW_WS_PROBE = 'server probe (raw WS echo)'
REFERENCE_ROWS = ('raw TCP', 'raw TLS', 'server probe', RAW_WS_TT, RAW_WS_PROBE)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def proc_cpu_seconds(pid):
    """utime + stime of a process and its threads, in seconds."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
    except OSError:
        return None


class Server:
    def __init__(self, name, argv, cpu):
        self.name = name
        self.argv = argv
        self.cpu = cpu
        self.p = None

    def start(self):
        cmd = (['taskset', '-c', self.cpu] if self.cpu is not None else []) + self.argv
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  start_new_session=True)
        deadline = time.time() + 15
        line = ''
        while time.time() < deadline:
            line = self.p.stdout.readline()
            if line.strip() == 'READY' or self.p.poll() is not None:
                break
        if line.strip() != 'READY':
            err = self.p.stderr.read() if self.p.poll() is not None else ''
            self.stop()
            raise RuntimeError(f'{self.name} did not start: {err.strip()}')

    def pin(self, cpu):
        if self.p and cpu is not None:
            subprocess.run(['taskset', '-a', '-p', '-c', cpu, str(self.p.pid)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

    def cpu_seconds(self):
        return proc_cpu_seconds(self.p.pid) if self.p else None

    def stop(self):
        if self.p and self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(5)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p = None


class ServerGroup:
    """N processes of one server on the same ports (server_lws --share: SO_REUSEPORT, the kernel spreads
    the connections); pinned together, CPU seconds summed."""

    def __init__(self, name, argv, cpu, n):
        self.n = n
        self.members = [Server(f'{name}#{i + 1}' if n > 1 else name, argv[:1] + (['--share'] if n > 1 else []) +
                               argv[1:], cpu) for i in range(n)]

    def start(self):
        for m in self.members:
            m.start()

    def pin(self, cpu):
        for m in self.members:
            m.pin(cpu)

    def cpu_seconds(self):
        vals = [m.cpu_seconds() for m in self.members]
        return None if any(v is None for v in vals) else sum(vals)

    def stop(self):
        for m in self.members:
            m.stop()


class CpuSampler(threading.Thread):
    """Samples a server's CPU seconds every 20 ms, to know how busy it was during a measurement window."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server, self.samples, self.halt = server, [], threading.Event()

    def run(self):
        while not self.halt.is_set():
            c = self.server.cpu_seconds()
            if c is not None:
                self.samples.append((time.time(), c))
            self.halt.wait(0.02)

    def at(self, t):
        s = self.samples
        if s and t >= s[-1][0]:
            return s[-1][1]  # taken after the client exited: at most slightly high
        for (ta, ca), (tb, cb) in zip(s, s[1:]):
            if ta <= t <= tb:
                return ca + (cb - ca) * (t - ta) / (tb - ta) if tb > ta else ca
        return None

    def share(self, t0, t1):
        a, b = self.at(t0), self.at(t1)
        return (b - a) / (t1 - t0) if a is not None and b is not None and t1 > t0 else None


class _Pid:
    """cpu_seconds() of a running process by pid, for CpuSampler."""

    def __init__(self, pid):
        self.pid = pid

    def cpu_seconds(self):
        return proc_cpu_seconds(self.pid)


def run_client(cmd, cpu, timeout, server=None):
    """Runs one client; returns (result dict or None, error text, server CPU share while it measured).
    For throughput results the client's own CPU use during its measurement window is added to the result:
    'client_cpu' (cores busy, e.g. 0.45): the client's own cpu_s when it reports one, else from /proc
    samples every 20 ms and its exit rusage."""
    import tempfile
    full = (['taskset', '-c', cpu] if cpu is not None else []) + cmd
    sampler = CpuSampler(server) if server else None
    if sampler:
        sampler.start()
    with tempfile.TemporaryFile('w+') as out, tempfile.TemporaryFile('w+') as err:
        p = subprocess.Popen(full, stdout=out, stderr=err, text=True, cwd=HERE)
        csamp = CpuSampler(_Pid(p.pid))
        csamp.start()
        killed = []
        timer = threading.Timer(timeout, lambda: (killed.append(1), p.kill()))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
            csamp.halt.set()
            csamp.join()
        t_exit = time.time()
        p.returncode = os.waitstatus_to_exitcode(status)
        csamp.samples.append((t_exit, ru.ru_utime + ru.ru_stime))
        if sampler:
            sampler.halt.set()
            sampler.join()
            c = server.cpu_seconds()
            if c is not None:
                sampler.samples.append((time.time(), c))
        timed_out = bool(killed)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if timed_out:
        return None, 'timed out', None
    lines = [l for l in stdout.splitlines() if l.startswith('{')]
    if p.returncode != 0 or not lines:
        tail = (stderr.strip().splitlines() or ['exit status %d' % p.returncode])[-1]
        return None, tail[:160], None
    try:
        res = json.loads(lines[-1])
    except ValueError:
        return None, 'bad output', None
    share = None
    res['client_cpu_s'] = ru.ru_utime + ru.ru_stime
    if 'end' in res and 'secs' in res:
        t0, t1 = res['end'] - res['secs'], res['end']
        if sampler:
            share = sampler.share(t0, t1)
        # The C clients measure their own CPU time over exactly those seconds (getrusage, "cpu_s"): exact,
        # where the /proc samples (10 ms ticks, every 20 ms) are only an estimate (Node, Python).
        res['client_cpu'] = res['cpu_s'] / res['secs'] if res.get('cpu_s') is not None and res['secs'] > 0 \
            else csamp.share(t0, t1)
    return res, '', share


def pair_ratio(res):
    """The web runs alternate C and JS back to back; the median of their per-pair ratios is steadier than
    the ratio of the medians when the browser's speed drifts during the run."""
    return statistics.median(c / j for c, j in zip(res['c_ms'], res['js_ms']) if j > 0)


def fmt_num(x, unit):
    if x is None:
        return 'n/a'
    if unit == 'msg/s':
        return f'{x / 1e3:,.0f} k' if x < 1e6 else f'{x / 1e6:,.2f} M'
    if unit == 'MB/s':
        return f'{x:,.0f}'
    if unit == 'us':
        return f'{x:,.1f}'
    if unit == 'B':
        return f'{x:,.0f}'
    if unit == 's':
        return f'{x:,.2f}'
    if unit == 'ms':
        return f'{x:,.0f}'
    return f'{x:,.3g}'


def spread(vals, unit):
    if not vals:
        return 'n/a'
    if len(vals) == 1:
        return '(1 run)'
    lo, hi, med = min(vals), max(vals), statistics.median(vals)
    pct = (hi - lo) / 2 / med * 100 if med else 0
    return f'{fmt_num(lo, unit)} – {fmt_num(hi, unit)} (±{pct:.0f}%)'


class Bench:
    def __init__(self, args):
        self.a = args
        self.out = args.out
        self.bin = os.path.join(args.build, 'bin')
        self.results = {}      # workload key -> {client: {'vals': [...], ...}}
        self.tables = []       # markdown chunks, in order
        self.servers = []
        cores = os.cpu_count() or 1
        self.client_cpu = '0' if cores >= 2 else None
        self.server_cpu = '1' if cores >= 2 else None
        self.failures = []

    # ---- setup -------------------------------------------------------------------------------------
    def certs(self):
        d = os.path.join(self.out, 'certs')
        if not os.path.exists(os.path.join(d, 'server.pem')):
            os.makedirs(d, exist_ok=True)
            subprocess.run(['bash', os.path.join(ROOT, 'tests/integration/gen-certs.sh'), d], check=True)
        return d

    def start_servers(self):
        certs = self.certs()
        self.ca = os.path.join(certs, 'ca.pem')
        self.p_raw, self.p_ws, self.p_wss, self.p_defl = free_port(), free_port(), free_port(), free_port()
        self.p_tls, self.p_rws = free_port(), free_port()
        self.raw = Server('server_raw', [os.path.join(self.bin, 'server_raw'), str(self.p_raw)], self.server_cpu)
        self.raw_tls = Server('server_raw --tls', [os.path.join(self.bin, 'server_raw'), str(self.p_tls), '--tls',
                                                   os.path.join(certs, 'server.pem'),
                                                   os.path.join(certs, 'server.key')], self.server_cpu)
        self.raw_ws = Server('server_raw --ws', [os.path.join(self.bin, 'server_raw'), str(self.p_rws), '--ws'],
                             self.server_cpu)
        self.lws = ServerGroup('server_lws', [os.path.join(self.bin, 'server_lws'), str(self.p_ws), str(self.p_wss),
                                              os.path.join(certs, 'server.pem'), os.path.join(certs, 'server.key'),
                                              str(self.p_defl)], self.server_cpu, self.a.servers)
        for s in (self.raw, self.raw_tls, self.raw_ws, self.lws):
            s.start()
            self.servers.append(s)

    def stop_servers(self):
        for s in self.servers:
            s.stop()
        self.servers = []

    def url(self, kind):
        return {'ws': f'ws://127.0.0.1:{self.p_ws}/', 'wss': f'wss://127.0.0.1:{self.p_wss}/',
                'deflate': f'ws://127.0.0.1:{self.p_defl}/', 'tcp': f'tcp://127.0.0.1:{self.p_raw}',
                'tls': f'tls://127.0.0.1:{self.p_tls}', 'raw ws': f'ws://127.0.0.1:{self.p_rws}/'}[kind]

    def client_cmd(self, client, mode, kind, opts):
        b = self.bin
        base = {'ttsocket': [os.path.join(b, 'client_tt')],
                'ttsocket + send callbacks': [os.path.join(b, 'client_tt')],
                'libwebsockets': [os.path.join(b, 'client_lws')],
                'node ws': ['node', os.path.join(HERE, 'client_node.mjs')],
                'python websockets': [PY, os.path.join(HERE, 'client_python.py')],
                'raw TCP': [os.path.join(b, 'client_raw')],
                'raw TLS': [os.path.join(b, 'client_raw')],
                'server probe': [os.path.join(b, 'client_raw')],
                RAW_WS_TT: [os.path.join(b, 'client_tt')],
                RAW_WS_PROBE: [os.path.join(b, 'client_raw')]}[client]
        url = self.url({'raw TCP': 'tcp', 'raw TLS': 'tls', RAW_WS_TT: 'raw ws',
                        RAW_WS_PROBE: 'raw ws'}.get(client, kind))
        extra = [f'{k}={v}' for k, v in opts.items()]
        if client == 'ttsocket + send callbacks':
            extra.append('callbacks=1')
        if kind == 'wss':
            extra.append(f'ca={self.ca}')
        if kind == 'deflate':
            extra.append('deflate=1')
        return base + [mode, url] + extra

    # ---- throughput ----------------------------------------------------------------------------------
    def tput(self, key, title, kind, clients, size, conns, window, unit):
        a = self.a
        secs, warm = a.secs, a.warmup
        data = {c: {'vals': [], 'cpu': [], 'ccpu': [], 'cost': [], 'err': ''} for c in clients}
        for rep in range(a.reps):
            order = clients[rep % len(clients):] + clients[:rep % len(clients)]
            for c in order:
                s = secs if c != 'python websockets' else max(secs / 2, min(secs, 0.5))
                opts = dict(conns=conns, size=size, window=window, secs=s, warmup=warm)
                server = {'raw TCP': self.raw, 'raw TLS': self.raw_tls, RAW_WS_TT: self.raw_ws,
                          RAW_WS_PROBE: self.raw_ws}.get(c, self.lws)
                res, err, share = run_client(self.client_cmd(c, 'tput', kind, opts), self.client_cpu,
                                             timeout=60 + 2 * (s + warm), server=server)
                if res is None:
                    data[c]['err'] = err
                    continue
                v = res['msgs'] / res['secs'] if unit == 'msg/s' else res['bytes'] / res['secs'] / MB
                if v <= 0 and a.smoke:  # a client that echoes nothing produced no number (never a threshold)
                    data[c]['err'] = f'0 {unit}: no echo in the measured window'
                    continue
                if v <= 0:  # a stalled run (seen under load on loopback): keep it out of the median
                    data[c]['stalled'] = data[c].get('stalled', 0) + 1
                    log(f'bench: {key}: {c}: no echo in the measured window (run {rep + 1})')
                    continue
                data[c]['vals'].append(v)
                if share is not None:
                    data[c]['cpu'].append(share)
                cc = res.get('client_cpu')
                if cc is not None and v > 0:
                    data[c]['ccpu'].append(cc)
                    data[c]['cost'].append(cc / v * 1e6)  # CPU µs per message, or per MB
        self.results[key] = {'title': title, 'unit': unit, 'kind': 'tput', 'data': data,
                             'params': dict(size=size, conns=conns, window=window, secs=secs)}
        self.emit_tput(key)

    def med(self, key, client):
        r = self.results.get(key)
        if not r or client not in r['data'] or not r['data'][client]['vals']:
            return None
        return statistics.median(r['data'][client]['vals'])

    def emit_tput(self, key):
        r = self.results[key]
        unit, data = r['unit'], r['data']
        tt = self.med(key, 'ttsocket')
        p = r['params']
        lines = [f'### {r["title"]}', '',
                 f'{p["conns"]} connection(s), {p["window"]} message(s) of {p["size"]:,} B in flight per '
                 f'connection, {p["secs"]} s per run, {self.a.reps} runs.', '',
                 f'| client | {unit} (median) | spread (min – max) | ttsocket ÷ client | server CPU | client CPU | '
                 f'client CPU per {"message" if unit == "msg/s" else "MB"} |',
                 '|---|---:|---|---:|---:|---:|---:|']
        for c, d in data.items():
            m = statistics.median(d['vals']) if d['vals'] else None
            ratio = f'{tt / m:.2f}' if tt and m else 'n/a'
            if c == 'ttsocket':
                ratio = '1.00'
            cpu = f'{statistics.median(d["cpu"]) * 100:.0f}%' if d['cpu'] else 'n/a'
            cell = fmt_num(m, unit) if m is not None else f'failed: {d["err"] or "no echo in any run"}'
            if d.get('stalled'):
                cell += f' ({d["stalled"]} stalled run(s) left out)'
            ccpu = f'{statistics.median(d["ccpu"]) * 100:.0f}%' if d['ccpu'] else 'n/a'
            cost = 'n/a'
            if d['cost']:
                cm = statistics.median(d['cost'])
                cost = f'{cm * 1000:,.0f} ns' if unit == 'msg/s' else f'{cm:,.0f} µs'
            lines.append(f'| {c} | {cell} | {spread(d["vals"], unit)} | {ratio} | {cpu} | {ccpu} | {cost} |')
            if m is None:
                self.failures.append(f'{key}: {c}: {d["err"]}')
        probe = self.med(key, 'server probe')
        ws_clients = [c for c in data if c not in REFERENCE_ROWS]
        best = max((self.med(key, c) or 0 for c in ws_clients), default=0)
        if probe:
            if probe > best:
                verdict = '**keeps up**.'
            else:
                best_c = max(ws_clients, key=lambda c: self.med(key, c) or 0)
                cpu = data[best_c]['cpu']
                busy = statistics.median(cpu) if cpu else None
                verdict = (f'**the server is the bound here**: it was at {busy * 100:.0f}% CPU with {best_c}.'
                           if busy is not None and busy >= 0.9 else
                           f'the probe is slower than {best_c} here, with the server at '
                           f'{"n/a" if busy is None else f"{busy * 100:.0f}%"} CPU.')
            lines += ['', f'Echo server: {fmt_num(probe, unit)} {unit} with the probe vs '
                      f'{fmt_num(best, unit)} {unit} for the best WebSocket client: {verdict}']
        else:
            lines += ['', 'Echo server: no probe here (it does not speak deflate); the server CPU column '
                      'shows how busy the server was (well below 100% = not the bottleneck).']
        if RAW_WS_TT in data:
            lines += ['', self.raw_ws_note(key)]
        self.add_table('\n'.join(lines))

    def raw_ws_note(self, key):
        """The sentence under a table with the raw WS echo rows: what ttsocket costs when its server is cheap."""
        unit = self.results[key]['unit']

        def cost(c):
            v = self.cost(key, c)
            return 'n/a' if v is None else f'{v * 1000:,.0f} ns' if unit == 'msg/s' else f'{v:,.0f} µs'
        per = 'message' if unit == 'msg/s' else 'MB'
        tt, probe = self.med(key, RAW_WS_TT), self.med(key, RAW_WS_PROBE)
        return (f'Raw WS echo (tests/bench/server_raw.c --ws: a WebSocket echo about as cheap as the raw-TCP '
                f'echo): ttsocket {fmt_num(tt, unit)} {unit} at {cost(RAW_WS_TT)} CPU per {per} (through '
                f'libwebsockets: {cost("ttsocket")}), the probe {fmt_num(probe, unit)} {unit}. The "ttsocket '
                f'ceiling" of the targets table is measured here.')

    # ---- latency -------------------------------------------------------------------------------------
    def latency(self, key, title, clients, same_core):
        a = self.a
        cpu = self.client_cpu
        self.lws.pin(cpu if same_core else self.server_cpu)
        self.raw.pin(cpu if same_core else self.server_cpu)
        data = {c: {'vals': [], 'p99': [], 'err': ''} for c in clients}
        for rep in range(a.lat_reps):
            order = clients[rep % len(clients):] + clients[:rep % len(clients)]
            for c in order:
                n = a.lat_count if c != 'python websockets' else max(a.lat_count // 4, 500)
                opts = dict(count=n, warmupcount=max(n // 10, 100))
                res, err, _ = run_client(self.client_cmd(c, 'lat', 'ws', opts), cpu, timeout=120)
                if res is None:
                    data[c]['err'] = err
                    continue
                data[c]['vals'].append(res['p50_us'])
                data[c]['p99'].append(res['p99_us'])
        self.lws.pin(self.server_cpu)
        self.raw.pin(self.server_cpu)
        self.results[key] = {'title': title, 'unit': 'us', 'kind': 'lat', 'data': data}
        tt = self.med(key, 'ttsocket')
        where = 'client and server pinned to the same core (CPU 0)' if same_core else \
            'client on CPU 0, server on CPU 1'
        if cpu is None:
            where = 'not pinned (fewer than 2 CPUs)'
        lines = [f'### {title}', '',
                 f'1-byte binary message, one in flight, {a.lat_count:,} round trips per run '
                 f'(python: a quarter), {a.lat_reps} runs; {where}.', '',
                 '| client | p50 µs (median) | p99 µs (median) | p50 spread | ttsocket ÷ client (p50) |',
                 '|---|---:|---:|---|---:|']
        for c, d in data.items():
            m = statistics.median(d['vals']) if d['vals'] else None
            p99 = statistics.median(d['p99']) if d['p99'] else None
            ratio = f'{tt / m:.2f}' if tt and m else 'n/a'
            if m is None:
                self.failures.append(f'{key}: {c}: {d["err"]}')
            lines.append(f'| {c} | {fmt_num(m, "us") if m is not None else "failed: " + d["err"]} | '
                         f'{fmt_num(p99, "us")} | {spread(d["vals"], "us")} | {ratio} |')
        self.add_table('\n'.join(lines))

    # ---- idle connections ----------------------------------------------------------------------------
    def idle(self, clients):
        a = self.a
        data = {c: {'vals': [], 'open': [], 'err': '', 'conns': 0, 'ccpu': [], 'scpu': []} for c in clients}
        for rep in range(a.idle_reps):
            for c in clients:
                server = self.raw if c == 'raw TCP' else self.lws
                s0 = server.cpu_seconds()
                res, err, _ = run_client(self.client_cmd(c, 'idle', 'ws', dict(conns=a.idle_conns)),
                                         self.client_cpu, timeout=180)
                s1 = server.cpu_seconds()
                if res is not None:
                    data[c]['ccpu'].append(res['client_cpu_s'])
                    if s0 is not None and s1 is not None:
                        data[c]['scpu'].append(s1 - s0)
                if res is None:
                    data[c]['err'] = err
                    continue
                data[c]['vals'].append(res['per_conn'])
                data[c]['open'].append(res['open_s'])
                data[c]['conns'] = res['conns']
                time.sleep(0.5)  # let the server reap the previous run's connections
        self.results['idle'] = {'title': 'Idle connections', 'unit': 'B', 'kind': 'idle', 'data': data}
        lines = [f'### {a.idle_conns:,} idle connections', '',
                 f'User-space memory: RSS after all {a.idle_conns:,} are open minus RSS before the first '
                 f'connect, per connection (kernel socket buffers not included); time from the first connect '
                 f'call to the last open. {a.idle_reps} run(s); clients on CPU 0, server on CPU 1. The libwebsockets '
                 f'client keeps at most 256 connects in flight (all at once, lws fails thousands of them). ttsocket '
                 f'opens one at a time per IP:port, as RFC 6455 section 4.1 requires and Chromium does; each '
                 f'handshake then waits for the libwebsockets server, whose poll() loop costs more with every '
                 f'connection it holds (see its CPU seconds, which cover the whole client run).', '',
                 '| client | bytes per connection | time to open all (s) | opened | client CPU s | server CPU s |',
                 '|---|---:|---:|---:|---:|---:|']
        for c, d in data.items():
            m = statistics.median(d['vals']) if d['vals'] else None
            o = statistics.median(d['open']) if d['open'] else None
            if m is None:
                self.failures.append(f'idle: {c}: {d["err"]}')
            cc = f'{statistics.median(d["ccpu"]):.2f}' if d['ccpu'] else 'n/a'
            sc = f'{statistics.median(d["scpu"]):.2f}' if d['scpu'] else 'n/a'
            lines.append(f'| {c} | {fmt_num(m, "B") if m is not None else "failed: " + d["err"]} | '
                         f'{fmt_num(o, "s")} | {d["conns"]:,} | {cc} | {sc} |')
        self.add_table('\n'.join(lines))

    # ---- the demo game's bots as a load tool ------------------------------------------------------------
    def start_room_server(self):
        """web/demo/serve.mjs on a free port (it prints the port on its first line), on the server core."""
        cmd = (['taskset', '-c', self.server_cpu] if self.server_cpu is not None else []) + \
            ['node', os.path.join(ROOT, 'web/demo/serve.mjs'), self.out, '0']
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, start_new_session=True)
        m = re.search(r'127\.0\.0\.1:(\d+)/', p.stdout.readline())
        if not m:
            p.kill()
            raise RuntimeError('web/demo/serve.mjs did not start')
        return p, int(m.group(1))

    def run_bots(self, cmd, timeout):
        """ttbots exits 1 when some bot failed, but its JSON report still holds the numbers (and the errors)."""
        full = (['taskset', '-c', self.client_cpu] if self.client_cpu is not None else []) + cmd
        try:
            p = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, 'timed out'
        lines = [l for l in p.stdout.splitlines() if l.startswith('{')]
        if p.returncode not in (0, 1) or not lines:
            return None, ((p.stderr.strip().splitlines() or [f'exit status {p.returncode}'])[-1])[:160]
        return json.loads(lines[-1]), ''

    def bots(self):
        a = self.a
        server, port = self.start_room_server()
        data = {'vals': [], 'runs': [], 'err': ''}
        try:
            for rep in range(a.bots_reps):
                cmd = [os.path.join(self.bin, 'ttbots'), '--url', f'ws://127.0.0.1:{port}/room/bench-{rep}',
                       '--bots', str(a.bots_count), '--rate', str(a.bots_rate), '--hold', str(a.bots_hold),
                       '--wait-all', '--duration', '120', '--json']
                s0 = proc_cpu_seconds(server.pid)
                res, err = self.run_bots(cmd, timeout=180)
                s1 = proc_cpu_seconds(server.pid)
                if res is None:
                    data['err'] = err
                    continue
                res['server_cpu_s'] = s1 - s0 if s0 is not None and s1 is not None else None
                data['runs'].append(res)
                data['vals'].append(res['steady']['cpu_us_per_msg'])
                time.sleep(0.5)  # let the server reap the previous run's connections
        finally:
            server.stdin.close()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        self.results['bots'] = {'title': 'Bot load tool', 'unit': 'us', 'kind': 'bots', 'data': data}
        lines = [f'### Bot load tool: {a.bots_count:,} bots in one process', '',
                 f'`ttbots` (native/bots: the demo game\'s networking layer web/demo/game.c, natively) against the '
                 f'demo\'s room server (web/demo/serve.mjs, npm ws, one Node process on the server core); every bot '
                 f'sends {a.bots_rate:g} position(s) a second and gets the room state back, from the moment the last '
                 f'one opened (`--wait-all`), for {a.bots_hold:g} s; {a.bots_reps} run(s). Connects are one at a time per IP:port (RFC 6455 '
                 f'section 4.1). CPU per bot message: the ttbots process\'s CPU while every bot was open, divided by '
                 f'the messages sent and received in that time.', '',
                 '| bots per process | time to open all (s) | msgs/s (sent + received) | round trip p50 ms | p99 ms | '
                 'client CPU per bot message | peak RSS | server CPU s | errors |',
                 '|---:|---:|---:|---:|---:|---:|---:|---:|---|']
        for r in data['runs']:
            st = r['steady']
            rate = st['msgs'] / st['secs'] if st['secs'] else 0
            errs = ', '.join(f'{k}: {v}' for k, v in r['errors'].items()) or 'none'
            srv = f'{r["server_cpu_s"]:.2f}' if r.get('server_cpu_s') is not None else 'n/a'
            opened = f'{r["all_open_s"]:.2f}' if r['all_open_s'] >= 0 else 'not all opened'
            cost = f'{st["cpu_us_per_msg"] * 1000:,.0f} ns' if st['msgs'] else 'n/a'
            lines.append(f'| {r["connected"]:,} of {r["bots"]:,} | {opened} | {rate:,.0f} | '
                         f'{r["rtt_ms"]["p50"]:.2f} | {r["rtt_ms"]["p99"]:.2f} | {cost} | '
                         f'{r["max_rss_kb"] / 1024:.1f} MB | {srv} | {errs} |')
        if not data['runs']:
            lines.append(f'| failed: {data["err"]} | | | | | | | | |')
            self.failures.append(f'bots: {data["err"]}')
        self.add_table('\n'.join(lines))

    # ---- web -----------------------------------------------------------------------------------------
    def sizes(self):
        pkg = os.path.join(self.a.web_build, 'ttsocket', 'web', 'package')
        rows = []
        for label, files in (('npm package (ttsocket.wasm + ttsocket.mjs)',
                              [os.path.join(pkg, 'ttsocket.wasm'), os.path.join(pkg, 'ttsocket.mjs')]),
                             ('benchmark page program (bench_web.wasm + bench_web.mjs)',
                              [os.path.join(self.a.web_build, 'page', 'bench_web.wasm'),
                               os.path.join(self.a.web_build, 'page', 'bench_web.mjs')])):
            if not all(os.path.exists(f) for f in files):
                rows.append((label, None, None, None, None))
                continue
            raw = [os.path.getsize(f) for f in files]
            gz = [len(gzip.compress(open(f, 'rb').read(), 9)) for f in files]
            rows.append((label, raw[0], raw[1], sum(raw), sum(gz)))
        self.results['size'] = {'title': 'web size', 'rows': rows}
        lines = ['### Web build size', '', 'MinSizeRel, as the `web` preset builds it; gzip -9.', '',
                 '| artifact | .wasm B | JS glue B | total raw B | total gzip B |', '|---|---:|---:|---:|---:|']
        for label, w, j, t, g in rows:
            if t is None:
                lines.append(f'| {label} | not built | | | |')
                self.failures.append(f'size: {label} not built')
            else:
                lines.append(f'| {label} | {w:,} | {j:,} | {t:,} | {g:,} |')
        self.add_table('\n'.join(lines))

    def web(self):
        a = self.a
        page = os.path.join(a.web_build, 'page')
        runs = {}
        # The browser backend, then the mini-game container backend (emulated tt in the same page).
        for container in (0, 1):
            for window in a.web_windows:
                cmd = ['node', os.path.join(HERE, 'web', 'run_web.mjs'), page, self.url('ws'),
                       f'count={a.web_count}', f'window={window}', f'reps={a.web_reps}', f'container={container}']
                res, err, _ = run_client(cmd, None, timeout=300)
                runs[f'{window} (container: C API vs the game calling emulated tt)' if container else window] = (res, err)
        self.results['web'] = {'title': 'web', 'runs': {str(k): v[0] for k, v in runs.items()}}
        lines = ['### Web build in headless Chromium', '',
                 f'{a.web_count:,} binary echo messages of 16 B on one connection, through the ttsocket C API '
                 f'(web build) and through a plain JavaScript `WebSocket` on the same page against the same '
                 f'server; time from the first send to the last echo; C and JS alternate, {a.web_reps} runs '
                 'each (after one short warm-up of each). "container" rows: the page has no global WebSocket and '
                 'an emulated tt (test code, on the captured browser WebSocket); the C API runs on '
                 'tt.connectSocket, and the JS column is a game calling that tt.connectSocket directly.', '',
                 '| in flight | C API ms (median) | spread | plain JS ms (median) | spread | C ÷ JS (medians) | '
                 'C ÷ JS (median of the back-to-back pairs) |',
                 '|---:|---:|---|---:|---|---:|---:|']
        for window, (res, err) in runs.items():
            if res is None:
                lines.append(f'| {window} | failed: {err} | | | | |')
                self.failures.append(f'web window {window}: {err}')
                continue
            c, j = statistics.median(res['c_ms']), statistics.median(res['js_ms'])
            lines.append(f'| {window} | {fmt_num(c, "ms")} | {spread(res["c_ms"], "ms")} | {fmt_num(j, "ms")} | '
                         f'{spread(res["js_ms"], "ms")} | {c / j:.2f} | {pair_ratio(res):.2f} |')
            self.chromium = res.get('chromium', '')
        self.add_table('\n'.join(lines))

    # ---- output --------------------------------------------------------------------------------------
    def add_table(self, md):
        self.tables.append(md)
        print('\n' + md + '\n', flush=True)

    def cost(self, key, client):
        """Median client CPU per message (µs) or per MB (µs) of one client in one workload."""
        r = self.results.get(key)
        if not r or client not in r['data'] or not r['data'][client].get('cost'):
            return None
        return statistics.median(r['data'][client]['cost'])

    def targets(self):
        """The issue's targets with what bounds each in this run: the echo server's own ceiling (the probe,
        a client that does no work, divided by raw TCP: no WebSocket client can go faster through this
        server) and ttsocket's own ceiling (the raw-TCP client's CPU per message divided by ttsocket's: the
        ratio ttsocket would reach, CPU-bound, if the server cost nothing). For plain ws, ttsocket's CPU is
        taken against the raw WS echo, a server about as cheap as the raw-TCP echo; the figure against
        libwebsockets follows in brackets. wss has no such server: there it is against libwebsockets."""
        def ratio(k1, c1, k2, c2):
            x, y = self.med(k1, c1), self.med(k2, c2)
            return x / y if x and y else None

        def fx(v, fmt='{:.2f} ×'):
            return fmt.format(v) if v is not None else 'n/a'
        rows = []

        def add(name, value, ok, shown, server='', own=''):
            rows.append((name, shown if value is not None else 'n/a',
                         'n/a' if value is None else ('met' if ok(value) else '**missed**'), server, own))

        def own(key, raw_key, client):
            c_tt, c_raw = self.cost(key, client), self.cost(raw_key, 'raw TCP')
            return c_raw / c_tt if c_tt and c_raw else None

        def bounds(key, raw_key):
            srv = ratio(key, 'server probe', raw_key, 'raw TCP')
            shown = fx(srv)
            tls = ratio(key, 'raw TLS', raw_key, 'raw TCP')
            if tls is not None:  # wss: TLS alone, without WebSocket, already costs this much
                shown += f' (raw TLS echo: {tls:.2f} ×)'
            lws = own(key, raw_key, 'ttsocket')
            if RAW_WS_TT not in self.results.get(key, {}).get('data', {}):
                return shown, fx(lws)
            return shown, f'{fx(own(key, raw_key, RAW_WS_TT))} ({fx(lws)} through lws)'
        for k, label in (('msg1', '1 connection'), ('msg10', '10 connections')):
            v = ratio(k, 'ttsocket', k, 'raw TCP')
            add(f'64 B msg/s ≥ 0.5 × raw TCP ({label})', v, lambda x: x >= 0.5, fx(v), *bounds(k, k))
        v = ratio('mib', 'ttsocket', 'mib', 'raw TCP')
        add('1 MiB echo ≥ 0.8 × raw TCP', v, lambda x: x >= 0.8, fx(v), *bounds('mib', 'mib'))
        v = ratio('wss_msg1', 'ttsocket', 'msg1', 'raw TCP')
        add('wss 64 B ≥ 0.6 × raw TCP', v, lambda x: x >= 0.6, fx(v), *bounds('wss_msg1', 'msg1'))
        v = ratio('wss_mib', 'ttsocket', 'mib', 'raw TCP')
        add('wss 1 MiB ≥ 0.6 × raw TCP', v, lambda x: x >= 0.6, fx(v), *bounds('wss_mib', 'mib'))
        v = ratio('lat_same', 'ttsocket', 'lat_same', 'raw TCP')
        srv = ratio('lat_same', 'server probe', 'lat_same', 'raw TCP')
        tt, pr = self.med('lat_same', 'ttsocket'), self.med('lat_same', 'server probe')
        add('same-core round trip p50 ≤ 1.1 × raw TCP', v, lambda x: x <= 1.1, fx(v), fx(srv),
            f'+{tt - pr:.1f} µs over the probe' if tt and pr else 'n/a')
        idle = self.results.get('idle', {}).get('data', {}).get('ttsocket')
        if idle and idle['vals']:
            per, n = statistics.median(idle['vals']), idle['conns']
            add(f'≤ 4 KiB user-space memory per idle connection, {self.a.idle_conns:,} open', per,
                lambda x: x <= 4096 and n >= self.a.idle_conns, f'{per:,.0f} B, {n:,} open')
        else:
            add('≤ 4 KiB per idle connection', None, None, '')
        web = self.results.get('web', {}).get('runs', {})
        for w, res in web.items():
            if res:
                v = pair_ratio(res)
                add(f'web C API time ≤ 1.2 × plain JS ({w} in flight; median of back-to-back pairs)', v,
                    lambda x: x <= 1.2, f'{v:.2f} ×')
        size = self.results.get('size', {}).get('rows', [])
        if size and size[0][3] is not None:
            add('web .wasm + glue ≤ 30 KB raw (package)', size[0][3], lambda x: x <= 30000,
                f'{size[0][3]:,} B')
        lines = ['### Targets (ratios from this run)', '',
                 '"Server ceiling" = the server probe (a client that only writes pre-built frames and skips the '
                 'echoes) ÷ raw TCP: no WebSocket client can beat it through this echo server. "ttsocket '
                 'ceiling" = the raw-TCP client\'s CPU per message (or MB) ÷ ttsocket\'s: what ttsocket would '
                 'reach, bound by its own CPU, if the server cost nothing. For the plain ws rows ttsocket\'s CPU is '
                 'measured against the raw WS echo (tests/bench/server_raw.c --ws: the raw-TCP echo\'s loop, which '
                 'answers the WebSocket handshake and streams each read\'s frames back unmasked in one send, about as '
                 'cheap as the raw-TCP echo) rather than libwebsockets: a client that waits for a slower server wakes '
                 'up for smaller batches and spends more CPU per message, so its cost through libwebsockets (in '
                 'brackets) says as much about the server as about the client. For wss (no such server) it is '
                 'ttsocket through libwebsockets against the plain raw-TCP client; the server ceiling there is the '
                 'probe speaking TLS, and the raw TLS echo (the raw-TCP pattern through TLS, tests/bench/server_raw.c '
                 '--tls) shows what TLS alone costs. On the 1 MiB rows a WebSocket client makes one pass over each '
                 'message that raw TCP does not: RFC 6455 has it mask every payload byte, and the benchmark\'s '
                 'message is not in the cache when it is sent. The loopback\'s TCP congestion control (in the line '
                 'above) matters too: with bbr every client spends about twice the CPU per MB it spends with cubic, and '
                 'ttsocket\'s runs against the raw WS echo fall into a fast and a slow mode by connection.', '',
                 '| target | measured | | server ceiling | ttsocket ceiling |', '|---|---:|---|---:|---:|']
        lines += [f'| {n} | {m} | {s} | {sv} | {ow} |' for n, m, s, sv, ow in rows]
        return '\n'.join(lines)

    def machine(self):
        cpu = ''
        try:
            cpu = re.search(r'model name\s*:\s*(.*)', open('/proc/cpuinfo').read()).group(1).strip()
        except (OSError, AttributeError):
            pass
        def ver(cmd):
            try:
                return subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip()
            except (OSError, subprocess.TimeoutExpired):
                return '?'
        node_ws = ver(['node', '-p', 'require("' + os.path.join(ROOT, 'tests/node_modules/ws/package.json') +
                       '").version'])
        pyws = ver([PY, '-c', 'import websockets; print(websockets.__version__)'])
        try:  # the loopback's congestion control changes the large-message rows a lot (see README)
            cc = open('/proc/sys/net/ipv4/tcp_congestion_control').read().strip()
        except OSError:
            cc = '?'
        return dict(date=datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z'),
                    nproc=os.cpu_count(), cpu=cpu, kernel=platform.release(), tcp_cc=cc,
                    node=ver(['node', '--version']), ws=node_ws, python_websockets=pyws,
                    lws=ver(['pkg-config', '--modversion', 'libwebsockets']).rstrip('-'))

    def write(self, m, load0, load1, elapsed):
        tgt = self.targets()
        head = [f'Measured {m["date"]} on {m["nproc"]} × {m["cpu"]} (`nproc` = {m["nproc"]}), Linux {m["kernel"]} '
                f'(TCP congestion control {m["tcp_cc"]}); '
                f'load average {load0:.2f} before, {load1:.2f} after; {elapsed / 60:.1f} min. '
                f'Peers: libwebsockets {m["lws"]} (Debian), Node {m["node"]} with ws {m["ws"]} + bufferutil, '
                f'Python websockets {m["python_websockets"]} (Debian)'
                + (f', Chromium {getattr(self, "chromium", "")}' if getattr(self, 'chromium', '') else '') + '. '
                'Echo server: tests/bench/server_lws.c on libwebsockets (no compression unless stated)'
                + (f', {self.a.servers} processes sharing its ports (SO_REUSEPORT), all on the server core'
                   if self.a.servers > 1 else '') + '; raw TCP: '
                'tests/bench/server_raw.c (the "raw WS echo" rows: the same program with --ws). `ttsocket ÷ client` '
                'divides the medians of this run: above 1 means ttsocket is faster for throughput, below 1 means '
                'lower latency. '
                + ('**Smoke run: durations far too short for meaningful numbers.** ' if self.a.smoke else ''),
                '', tgt]
        md = '\n'.join(head) + '\n\n' + '\n\n'.join(self.tables) + '\n'
        os.makedirs(self.out, exist_ok=True)
        with open(os.path.join(self.out, 'results.md'), 'w') as f:
            f.write(md)
        with open(os.path.join(self.out, 'results.json'), 'w') as f:
            json.dump(dict(machine=m, load=[load0, load1], results=self.results), f, indent=1, default=str)
        print('\n' + tgt + '\n', flush=True)
        log(f'bench: wrote {os.path.join(self.out, "results.md")}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(ROOT, 'build/bench/native'))
    ap.add_argument('--web-build', dest='web_build', default=os.path.join(ROOT, 'build/bench/web'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'build/bench'))
    ap.add_argument('--smoke', action='store_true')
    ap.add_argument('--reps', type=int, default=5)
    ap.add_argument('--secs', type=float, default=1.0)
    ap.add_argument('--warmup', type=float, default=0.3)
    ap.add_argument('--window', type=int, default=int(os.environ.get('BENCH_WINDOW', 32)))
    ap.add_argument('--mib-window', dest='mib_window', type=int, default=4)
    ap.add_argument('--servers', type=int, default=int(os.environ.get('BENCH_SERVERS', 2)),
                    help='libwebsockets echo server processes sharing the ports (default 2)')
    ap.add_argument('--only', default='', help='comma list: msg1,msg10,mib,wss,deflate,lat,idle,bots,web')
    a = ap.parse_args()
    a.lat_count, a.lat_reps, a.idle_conns, a.idle_reps = 20000, 3, 10000, 1
    a.web_count, a.web_reps, a.web_windows = 10000, 9, [1, 32]
    a.bots_count, a.bots_rate, a.bots_hold, a.bots_reps = 10000, 1, 10, 1
    if a.smoke:
        a.reps, a.secs, a.warmup = 1, 0.2, 0.05
        a.lat_count, a.lat_reps, a.idle_conns = 1000, 1, 200
        a.web_count, a.web_reps = 300, 1
        a.bots_count, a.bots_hold = 200, 1
        a.out = os.path.join(a.out, 'smoke')
    only = set(filter(None, a.only.split(',')))
    want = lambda k: not only or k in only

    b = Bench(a)

    def on_signal(sig, frame):
        b.stop_servers()
        sys.exit(130)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    load0, t_start = os.getloadavg()[0], time.time()
    if load0 > 0.5 * (os.cpu_count() or 1) and not a.smoke:
        log(f'bench: warning: load average {load0:.2f}: other work is running, numbers will be noisy')
    ws_all = ['ttsocket', 'libwebsockets', 'node ws', 'python websockets', 'raw TCP', 'server probe']
    tls_all = ['ttsocket', 'libwebsockets', 'node ws', 'python websockets', 'raw TLS', 'server probe']
    raw_ws = [RAW_WS_TT, RAW_WS_PROBE]  # plain ws only: server_raw --ws speaks neither TLS nor deflate
    try:
        b.start_servers()
        w = a.window
        if want('msg1'):
            b.tput('msg1', '64 B messages pipelined, 1 connection', 'ws',
                   ws_all[:1] + ['ttsocket + send callbacks'] + ws_all[1:] + raw_ws, 64, 1, w, 'msg/s')
        if want('msg10'):
            b.tput('msg10', '64 B messages pipelined, 10 connections', 'ws', ws_all + raw_ws, 64, 10, w, 'msg/s')
        if want('mib'):
            b.tput('mib', '1 MiB binary echo', 'ws', ws_all + raw_ws, MIB, 1, a.mib_window, 'MB/s')
        if want('wss'):
            b.tput('wss_msg1', 'wss:// 64 B messages pipelined, 1 connection', 'wss', tls_all, 64, 1, w, 'msg/s')
            b.tput('wss_mib', 'wss:// 1 MiB binary echo', 'wss', tls_all, MIB, 1, a.mib_window, 'MB/s')
        if want('deflate'):
            b.tput('deflate_msg1', 'permessage-deflate: 64 B messages pipelined, 1 connection (the server '
                   'compresses every echo through lws_write)', 'deflate',
                   ['ttsocket', 'node ws', 'python websockets'], 64, 1, w, 'msg/s')
        if want('lat'):
            lat_clients = ['ttsocket', 'libwebsockets', 'node ws', 'python websockets', 'raw TCP', 'server probe']
            b.latency('lat_same', 'Round-trip latency, same core', lat_clients, True)
            if b.client_cpu is not None:
                b.latency('lat_diff', 'Round-trip latency, different cores', lat_clients, False)
        if want('idle'):
            b.idle(['ttsocket', 'libwebsockets', 'node ws', 'python websockets', 'raw TCP'])
        if want('bots'):
            b.bots()
        if want('web'):
            b.sizes()
            b.web()
    finally:
        b.stop_servers()
    b.write(b.machine(), load0, os.getloadavg()[0], time.time() - t_start)
    if b.failures:
        log('bench: no numbers for: ' + '; '.join(b.failures))
    if a.smoke:
        return 1 if b.failures else 0
    return 0


if __name__ == '__main__':
    sys.exit(main())
