#!/usr/bin/python3
"""What the per-task and runtime statistics cost: the driver behind `make bench-stats`.

The same client (client_tt, 64 B messages pipelined on 1 connection, the "64 B, 1 connection" row of
`make bench`) is built twice from the same sources: as shipped (BUILD/bin/client_tt) and with every
counter update compiled out (NOSTATS/bin/client_tt, built with TT__STATS_OFF, the switch in src/stats.h
that only this benchmark sets). Both run against one libwebsockets echo server (server on CPU 1, client
on CPU 0), alternating A B B A ... so that drift of a shared machine hits both alike, and each reports
its own CPU time over the measured seconds (getrusage). For every adjacent pair the ratio
CPU per message with statistics / without is taken; the result is the median of those ratios and
their spread. A ratio whose spread straddles 1.00 means: no measurable cost.

With valgrind installed it also counts the instructions of both builds per round trip (callgrind,
collecting inside tt_runtime_poll, where the whole receive-deliver-send cycle runs): an exact figure
that the noise of a shared machine cannot blur.

Numbers never make this script fail; it fails only when a client produced none.
Usage: stats_cost.py [--pairs N] [--secs S] [--build DIR] [--nostats DIR] [--no-callgrind]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
from run import free_port, log  # noqa: E402  (the driver's helpers; run.py runs nothing on import)


def pinned(cpu):
    return ['taskset', '-c', cpu] if (os.cpu_count() or 1) >= 2 else []


def run_client(binary, url, secs, warmup):
    """One run: (CPU ns per message, msg/s) or None."""
    cmd = pinned('0') + [binary, 'tput', url, 'conns=1', 'size=64', 'window=32', f'secs={secs}',
                         f'warmup={warmup}']
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    lines = [l for l in p.stdout.splitlines() if l.startswith('{')]
    if p.returncode != 0 or not lines:
        log(f'stats_cost: {binary} failed: {(p.stderr.strip().splitlines() or ["no output"])[-1]}')
        return None
    j = json.loads(lines[-1])
    if not j['msgs']:
        return None
    return j['cpu_s'] / j['msgs'] * 1e9, j['msgs'] / j['secs']


def callgrind_ir_per_msg(binary, url, secs):
    """Instructions per round trip inside tt_runtime_poll, or None."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'cg.out')
        cmd = pinned('0') + ['valgrind', '--tool=callgrind', '--toggle-collect=tt_runtime_poll',
                             f'--callgrind-out-file={out}', binary, 'tput', url, 'conns=1', 'size=64',
                             'window=32', f'secs={secs}', 'warmup=0']
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        lines = [l for l in p.stdout.splitlines() if l.startswith('{')]
        if p.returncode != 0 or not lines or not os.path.exists(out):
            return None
        msgs = json.loads(lines[-1])['msgs']
        total = None
        with open(out) as f:
            for line in f:
                if line.startswith('totals:') or line.startswith('summary:'):
                    total = int(line.split()[1])
        return total / msgs if total and msgs else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', default=os.path.join(ROOT, 'build/bench/native'))
    ap.add_argument('--nostats', default=os.path.join(ROOT, 'build/bench/nostats'))
    ap.add_argument('--out', default=os.path.join(ROOT, 'build/bench'))
    ap.add_argument('--pairs', type=int, default=10)
    ap.add_argument('--secs', type=float, default=1.0)
    ap.add_argument('--warmup', type=float, default=0.3)
    ap.add_argument('--no-callgrind', dest='callgrind', action='store_false')
    a = ap.parse_args()
    with_stats = os.path.join(a.build, 'bin', 'client_tt')
    without = os.path.join(a.nostats, 'bin', 'client_tt')
    port = free_port()
    server = subprocess.Popen(pinned('1') + [os.path.join(a.build, 'bin', 'server_lws'), str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        if server.stdout.readline().strip() != 'READY':
            log('stats_cost: the echo server did not start')
            return 1
        url = f'ws://127.0.0.1:{port}/'
        pairs = []
        for i in range(a.pairs):
            order = [with_stats, without] if i % 2 == 0 else [without, with_stats]
            r = {b: run_client(b, url, a.secs, a.warmup) for b in order}
            if r[with_stats] is None or r[without] is None:
                return 1
            pairs.append((r[with_stats], r[without]))
        ir = {}
        if a.callgrind and shutil.which('valgrind'):
            for name, b in (('with', with_stats), ('without', without)):
                ir[name] = callgrind_ir_per_msg(b, url, 2.0)
    finally:
        server.terminate()
        server.wait()

    ratios = [s[0] / n[0] for s, n in pairs]
    med = statistics.median(ratios)
    lines = ['### Statistics cost (64 B messages pipelined, 1 connection)', '',
             f'{a.pairs} pairs of {a.secs:g} s runs, alternating; CPU per message from each client\'s '
             'getrusage over its measured seconds.', '',
             '| pair | with statistics | without (TT__STATS_OFF) | ratio |', '|---:|---:|---:|---:|']
    for i, ((sw, _), (so, _)) in enumerate(pairs):
        lines.append(f'| {i + 1} | {sw:,.0f} ns | {so:,.0f} ns | {sw / so:.3f} |')
    lines += ['', f'Median ratio with ÷ without: **{med:.3f}** (spread {min(ratios):.3f} – {max(ratios):.3f}; '
              f'median CPU per message {statistics.median(s[0] for s, _ in pairs):,.0f} ns with, '
              f'{statistics.median(n[0] for _, n in pairs):,.0f} ns without).']
    if ir.get('with') and ir.get('without'):
        d = ir['with'] - ir['without']
        lines.append(f'Instructions per round trip (callgrind, inside tt_runtime_poll): {ir["with"]:,.1f} with, '
                     f'{ir["without"]:,.1f} without: {d:+,.1f} ({d / ir["without"] * 100:+.2f}%).')
    elif a.callgrind:
        lines.append('Instructions: valgrind not available or the callgrind run failed.')
    text = '\n'.join(lines) + '\n'
    print(text)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, 'stats_cost.md'), 'w') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
