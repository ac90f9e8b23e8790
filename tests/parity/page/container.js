// The parity harness (harness.js) on the container backend: the page's (tracked) WebSocket is captured
// by the mini-game host emulator (test code, tests/support/container/emulator.js) and then deleted, and
// the emulated host is installed as the global tt, fresh before every run. The web driver therefore
// reaches the network only through tt.connectSocket. runPlain (the plain JS reference) is not available.
import '/support/tracked_sockets.js';
import { createContainer, browserOpener } from '/container/emulator.js';
import './harness.js';

const open = browserOpener(window.WebSocket);
delete window.WebSocket;
if (typeof WebSocket !== 'undefined') throw new Error('the page still has a global WebSocket');
const runWasm = window.ttParity.runWasm;
window.ttParity.runWasm = (argv, driverUrl) => {
  window.tt = createContainer({ vendor: 'tt', open, skipDomainCheck: true });
  return runWasm(argv, driverUrl);
};
window.ttParity.runPlain = () => { throw new Error('no plain WebSocket in the container page'); };
window.ttParity.container = true;
