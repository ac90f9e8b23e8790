// The ES-module package (build/web/web/package) imported by a page without a bundler (an import map), in
// headless Chromium: connectSocket with refused options returns a task object, as tt does, whose
// listeners can be attached and whose calls fail cleanly; no event ever reaches it, while a good task
// made after it runs its whole echo-and-close session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from './peer.mjs';
import { launchChromium } from './chromium.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = process.env.TT_WEB_PACKAGE || path.join(WEB_BUILD_DIR, 'web/package');

const PAGE = `<!doctype html>
<meta charset="utf-8">
<script type="importmap">{ "imports": { "ttsocket-web": "./ttsocket-web/index.js" } }</script>
<script>window.addEventListener('error', (e) => { window.__failed = String(e.message); });</script>
<script type="module">
import createTTSocket from 'ttsocket-web';
const events = [];
const log = (s) => events.push(s);
const tt = await createTTSocket();
tt.configure({ socketDomains: ['game.example.com'] });
// Refused: not a legal domain. The README's pattern (listeners right after the call) must not throw.
const bad = tt.connectSocket({
  url: 'wss://elsewhere.example/ws',
  success: (r) => log('bad success ' + r.errMsg),
  fail: (r) => log('bad fail ' + r.errMsg + ' ' + r.socketTaskId),
  complete: (r) => log('bad complete ' + r.errMsg),
});
bad.onOpen(() => log('bad open'));
bad.onMessage(() => log('bad message'));
bad.onError((e) => log('bad error ' + e.errMsg));
bad.onClose((e) => log('bad close ' + e.code));
log('bad id=' + bad.socketTaskId + ' readyState=' + bad.readyState + ' buffered=' + bad.bufferedAmount);
bad.send({ data: 'x', success: () => log('bad send ok'), fail: (r) => log('bad send ' + r.errMsg) });
bad.close({ success: () => log('bad close ok'), fail: (r) => log('bad close-call ' + r.errMsg) });
// A good task after it: the session must run to its end, with nothing for the refused one in between.
tt.configure({ skipDomainCheck: true });
const good = tt.connectSocket({ url: new URLSearchParams(location.search).get('ws'),
  success: (r) => log('good success ' + r.errMsg + ' ' + r.socketTaskId) });
// What a game can see, as plain objects: which profile fields the browser knows, the counters.
const kinds = (o) => Object.entries(o).map(([k, v]) => k + '=' + (v === null ? 'null' : typeof v)).join(' ');
good.onOpen((e) => {
  log('good header ' + JSON.stringify(e.header) + ' cost=open-fetchStart ' + (e.profile.cost === e.profile.open - e.profile.fetchStart));
  log('good profile ' + kinds(e.profile));
  good.send({ data: 'hi' });
});
good.onMessage(({ data }) => {
  log('good message ' + data);
  const s = good.stats();
  log('good stats sent=' + s.messagesSent + '/' + s.bytesSent + ' received=' + s.messagesReceived + '/' +
      s.bytesReceived + ' wire=' + s.wireBytesSent + ' frames=' + s.framesReceived + ' tasks=' + s.tasks);
  good.close({ code: 4001, reason: 'end' });
});
good.onClose((e) => {
  log('good close ' + e.code + ' ' + e.reason + ' stats=' + (good.stats() !== null));
  setTimeout(() => log('after close stats=' + good.stats() + ' bad stats=' + bad.stats() +
    ' runtime tasks=' + tt.stats().tasks + ' caps=' +
    Object.entries(tt.capabilities()).filter(([, v]) => v).map(([k]) => k).join(',')), 0);
  // One more turn of the event loop: anything still queued for the refused task would show up.
  setTimeout(() => { window.__events = events; }, 50);
});
</script>`;

let peer, browser, dir;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttsocket-package-'));
  fs.symlinkSync(pkg, path.join(dir, 'ttsocket-web'));
  fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
  peer = await startPeer({ staticRoots: { '/': dir } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await peer?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('package: connectSocket with refused options returns a task whose calls fail cleanly', async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${peer.httpUrl}/index.html?ws=${encodeURIComponent(peer.url + '/echo')}`);
  await page.waitForFunction(() => Array.isArray(window.__events) || window.__failed, null, { timeout: 30000 });
  const events = await page.evaluate(() => window.__events);
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => window.__failed), undefined);
  assert.deepEqual(events, [
    'bad id=0 readyState=3 buffered=0',
    'bad fail connectSocket:fail url not in domain list undefined',
    'bad complete connectSocket:fail url not in domain list',
    'bad send sendSocketMessage:fail invalid socketTaskId',
    'bad close-call closeSocket:fail invalid socketTaskId',
    'good success connectSocket:ok 1',
    'good header {} cost=open-fetchStart true',
    'good profile fetchStart=number domainLookUpStart=null domainLookUpEnd=null connectStart=null ' +
      'tcpConnectEnd=null SSLconnectionStart=null SSLconnectionEnd=null connectEnd=null requestStart=null ' +
      'requestEnd=null responseEnd=null open=number rtt=null handshakeCost=null cost=number',
    'good message hi',
    'good stats sent=1/2 received=1/2 wire=null frames=null tasks=1',
    'good close 4001 end stats=true',
    'after close stats=null bad stats=null runtime tasks=1 caps=deflate',
  ]);
  await page.close();
});
