// TEST CODE: loads a mini-game project (made by web/minigame/build.sh) the way a container does, in Node:
// `node minigame-host.mjs <project dir> [tt|wx]`. The process has no fetch, no XMLHttpRequest and no
// WebSocket; game.js is required as CommonJS; TTWebAssembly.instantiate(path, imports) (Douyin; WeChat:
// WXWebAssembly) reads the .wasm from the project by path, as the platforms document it; tt (or wx) is the
// container emulator over npm ws.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { createContainer } from '../support/container/emulator.js';
import { nodeOpener } from '../support/container/node_opener.mjs';

const require = createRequire(import.meta.url);
const WS = require('ws');
const dir = path.resolve(process.argv[2]);
const vendor = process.argv[3] || 'tt';
if (!['tt', 'wx'].includes(vendor)) throw new Error(`vendor ${vendor}: expected tt or wx`);
const wasmName = vendor === 'tt' ? 'TTWebAssembly' : 'WXWebAssembly';
for (const name of ['fetch', 'XMLHttpRequest', 'WebSocket']) delete globalThis[name];
globalThis[vendor] = createContainer({ vendor, open: nodeOpener(WS), skipDomainCheck: true,
  log: (l) => process.stderr.write(`host: ${l.split(' ')[0]}\n`) });
globalThis[wasmName] = {
  instantiate(file, imports) {
    process.stderr.write(`host: ${wasmName}.instantiate ${file}\n`);
    if (typeof file !== 'string' || /^[a-z]+:/i.test(file)) return Promise.reject(new Error('a package path only'));
    return WebAssembly.instantiate(fs.readFileSync(path.join(dir, file)), imports);
  },
};
createRequire(path.join(dir, 'game.js'))('./game.js');
