// The npm package's own allocator (web/package/heap_alloc.c: malloc, free, calloc, sbrk), linked as the
// package links it (-sMALLOC=none) with tests/web/heap_alloc.c and run under Node: blocks keep their bytes
// while others come and go, freed neighbours merge and are reused without moving the break, the highest
// free block grows in place, impossible sizes give NULL; a growing heap grows for 32 MiB, a fixed 16 MiB
// heap answers NULL and goes on working (never an abort).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const buildDir = process.env.TT_WEB_BUILD || path.join(WEB_BUILD_DIR, 'web/tests');

const EXPECTED = {
  grow: 'ok a growing heap grows for 32 MiB and reuses it',
  fixed: 'ok a fixed heap answers NULL for 32 MiB and goes on',
};

for (const heap of ['grow', 'fixed']) {
  test(`package allocator, ${heap === 'grow' ? 'growing' : 'fixed'} heap`, () => {
    const r = spawnSync(process.execPath, [path.join(buildDir, `heap_alloc_${heap}.cjs`), heap],
      { encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}\n${r.stdout}${r.stderr}`);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], /^ok blocks keep their bytes; freed blocks merge \(\d+ bytes reused\)$/);
    assert.deepEqual(lines.slice(1), [
      'ok calloc zeroes; impossible sizes give NULL',
      'ok the top free block grows in place',
      EXPECTED[heap],
      'done',
    ]);
  });
}
