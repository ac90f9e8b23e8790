// TEST CODE: a mini-game whose game logic is JavaScript and which uses the npm package (web/package) instead
// of linking the C library: the package bundled as CommonJS (ttsocket/ttsocket.js, see
// tests/web/minigame.test.mjs for the esbuild command, the README's "Loading inside a container" for why)
// next to ttsocket/ttsocket.wasm, loaded by path as web/minigame/game.js loads the demo client. One echo,
// one line per event.
const { createTTSocket } = require('./ttsocket/ttsocket.js');
const config = require('./config.js');

const WASM_PATH = 'ttsocket/ttsocket.wasm';
/* global TTWebAssembly, WXWebAssembly */
const Wasm = typeof TTWebAssembly === 'object' ? TTWebAssembly : typeof WXWebAssembly === 'object' ? WXWebAssembly : null;

createTTSocket({
  locateFile: (file) => file,
  instantiateWasm(imports, receive) {
    Wasm.instantiate(WASM_PATH, imports).then((r) => receive(r.instance, r.module),
      (e) => console.error(`ttsocket: cannot instantiate ${WASM_PATH}: ${e}`));
    return {}; // the exports arrive through receive
  },
}).then((socket) => {
  socket.configure({ skipDomainCheck: true });
  console.log(`ttsocket ${socket.version()} on ${socket.backend()}`);
  const task = socket.connectSocket({
    url: config.url,
    success: (r) => console.log(r.errMsg),
    fail: (r) => console.log(r.errMsg),
  });
  task.onOpen(() => {
    console.log('open');
    task.send({ data: 'hello from the mini-game' });
  });
  task.onMessage(({ data }) => {
    console.log(`message ${typeof data === 'string' ? data : `${data.byteLength} bytes`}`);
    task.close({ code: 1000, reason: 'bye' });
  });
  task.onError(({ errMsg }) => console.log(`error ${errMsg}`));
  task.onClose(({ code, reason }) => console.log(`close ${code} ${reason}`));
});
