// TEST CODE: runs tests/web/driver.c's Node build (driver_node.cjs) inside an emulated mini-game container
// whose network is the npm `ws` client: `node container-node-host.mjs <tt|wx> <driver> <args...>`. The
// process has no global WebSocket (run without --experimental-websocket), so the driver can only reach the
// network through the emulated host.
import { createRequire } from 'node:module';
import { createContainer } from '../support/container/emulator.js';
import { nodeOpener } from '../support/container/node_opener.mjs';

const require = createRequire(import.meta.url);
const WS = require('ws');
const [vendor, driver, ...args] = process.argv.slice(2);
if (typeof globalThis.WebSocket !== 'undefined') throw new Error('this process must have no global WebSocket');
globalThis[vendor] = createContainer({ vendor, open: nodeOpener(WS), skipDomainCheck: true,
  log: (l) => process.stderr.write(`host: ${l}\n`) });
process.argv = [process.argv[0], driver, ...args];
require(driver);
