// The npm package as users receive it: `npm pack` of the built package directory (build/web/web/package)
// must give ttsocket-web-VERSION.tgz (VERSION = the C library's, from include/ttsocket.h) with a complete
// package.json. The tarball is installed with npm into two fresh projects; tests/web/bundle/main.js is
// bundled by Vite 7 in one and webpack 5 in the other (both must emit the wasm as an asset), and each
// bundle does an echo round-trip in headless Chromium, served from 127.0.0.1 next to the echo peer.
// tests/web/bundle/example.ts is type-checked with `tsc --noEmit` against the installed .d.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { build as viteBuild } from 'vite';
import webpack from 'webpack';
import { startPeer } from './peer.mjs';
import { launchChromium } from './chromium.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const pkgDir = path.join(WEB_BUILD_DIR, 'web/package');
const tsc = path.join(root, 'tests/node_modules/.bin/tsc');
const header = fs.readFileSync(path.join(root, 'include/ttsocket.h'), 'utf8');
const version = ['MAJOR', 'MINOR', 'PATCH'].map((p) => new RegExp(`#define TT_VERSION_${p} (\\d+)`).exec(header)[1]).join('.');
// The npm environment of the fresh projects: no network, no user config, no audit.
const npmEnv = { ...process.env, NODE_PATH: '', npm_config_offline: 'true', npm_config_audit: 'false',
  npm_config_fund: 'false', npm_config_update_notifier: 'false', npm_config_userconfig: '/dev/null' };

let work, tarball, packed, peer, browser;
const apps = {};

// A fresh project with the tarball installed from the file: only what a user has.
async function freshProject(name) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `tt-${name}`, private: true, type: 'module' }));
  await run('npm', ['install', '--no-package-lock', tarball], { cwd: dir, env: npmEnv });
  for (const f of ['index.html', 'main.js', 'example.ts', 'tsconfig.json']) {
    fs.copyFileSync(path.join(here, 'bundle', f), path.join(dir, f));
  }
  return dir;
}

async function buildVite(dir) {
  const outDir = path.join(dir, 'dist');
  // base './': the page is served under /vite/, not at the site root.
  await viteBuild({ root: dir, base: './', configFile: false, logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022' } });
  return outDir;
}

async function buildWebpack(dir) {
  const outDir = path.join(dir, 'dist');
  const stats = await new Promise((resolve, reject) => webpack({
    mode: 'production', context: dir, entry: './main.js', target: 'web',
    output: { path: outDir, filename: 'main.js', assetModuleFilename: '[name]-[contenthash][ext]' },
    resolve: { modules: [path.join(dir, 'node_modules')] },
    performance: { hints: false },
  }, (err, s) => (err ? reject(err) : resolve(s))));
  assert.ok(!stats.hasErrors(), stats.toString({ all: false, errors: true }));
  fs.writeFileSync(path.join(outDir, 'index.html'), fs.readFileSync(path.join(dir, 'index.html'), 'utf8')
    .replace('<script type="module" src="./main.js"></script>', '<script src="./main.js"></script>'));
  return outDir;
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'ttsocket-bundle-'));
  const { stdout } = await run('npm', ['pack', pkgDir, '--pack-destination', work, '--json'], { env: npmEnv });
  packed = JSON.parse(stdout)[0];
  tarball = path.join(work, packed.filename);
  apps.vite = await freshProject('vite');
  apps.webpack = await freshProject('webpack');
  apps.viteOut = await buildVite(apps.vite);
  apps.webpackOut = await buildWebpack(apps.webpack);
  peer = await startPeer({ staticRoots: { '/vite/': apps.viteOut, '/webpack/': apps.webpackOut } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await peer?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('npm pack: ttsocket-web-VERSION.tgz with a complete package.json', () => {
  assert.equal(packed.filename, `ttsocket-web-${version}.tgz`);
  assert.deepEqual(packed.files.map((f) => f.path).sort(),
    ['README.md', 'index.d.ts', 'index.js', 'package.json', 'ttsocket.d.mts', 'ttsocket.mjs', 'ttsocket.wasm']);
  const pj = JSON.parse(fs.readFileSync(path.join(apps.vite, 'node_modules/ttsocket-web/package.json'), 'utf8'));
  assert.equal(pj.name, 'ttsocket-web');
  assert.equal(pj.version, version, 'the npm version is the C library version');
  assert.equal(pj.type, 'module');
  assert.equal(pj.license, 'MIT');
  assert.equal(pj.types, './index.d.ts');
  // Conditions are tried in order: types first, default last.
  assert.deepEqual(Object.keys(pj.exports['.']), ['types', 'import', 'default']);
  assert.equal(pj.exports['.'].import, './index.js');
  assert.equal(pj.exports['./ttsocket.wasm'], './ttsocket.wasm');
  for (const f of pj.files) assert.ok(packed.files.some((p) => p.path === f), `files lists ${f}, not packed`);
});

test('tsc --noEmit type-checks a TypeScript example against the shipped .d.ts', async () => {
  // Resolved through the installed package's "types"/"exports" (moduleResolution: bundler).
  const r = await run(tsc, ['-p', path.join(apps.vite, 'tsconfig.json')], { env: npmEnv }).catch((e) => e);
  assert.equal(r.code ?? 0, 0, `tsc failed:\n${r.stdout}${r.stderr}`);
});

const expectedEvents = (tag) => [
  'connect:success connectSocket:ok 1',
  'open rs=1 protocol=',
  'send sendSocketMessage:ok',
  `text "${tag}\\u0000hello"`,
  'send sendSocketMessage:ok',
  'binary 1,2,3,250',
  'close closeSocket:ok',
  'closed 4000 done true rs=3',
];

for (const bundler of ['vite', 'webpack']) {
  test(`${bundler}: the bundle emits the wasm and echoes in Chromium`, async (t) => {
    const out = apps[`${bundler}Out`];
    const files = fs.readdirSync(out, { recursive: true }).map(String);
    const wasm = files.find((f) => /ttsocket-[^/]*\.wasm$/.test(f));
    assert.ok(wasm, `no hashed wasm asset in ${files}`);
    const js = files.filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(out, f), 'utf8')).join('\n');
    assert.ok(js.includes(path.basename(wasm)), 'the bundle names the emitted wasm');

    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${peer.httpUrl}/${bundler}/index.html?ws=${encodeURIComponent(`${peer.url}/echo?tag=${bundler}`)}`);
    await page.waitForFunction(() => window.__ttResult?.done === true, null, { timeout: 30000 });
    const r = await page.evaluate(() => window.__ttResult);
    await page.close();
    assert.deepEqual(errors, []);
    assert.equal(r.version, version);
    assert.equal(r.configure, 0);
    assert.deepEqual(r.events, expectedEvents('bundle'));
    assert.deepEqual(peer.log[bundler], { code: 4000, reason: 'done' });
  });
}
