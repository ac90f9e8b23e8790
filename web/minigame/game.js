// A minimal Douyin / WeChat mini-game that uses ttsocket: the C library compiled to WebAssembly, driven
// here through the package's tt.connectSocket-shaped runtime. `make minigame` writes this project to
// build/minigame/ (with ttsocket/ttsocket.js, the package bundled as CommonJS, and ttsocket/ttsocket.wasm);
// open that directory in the platform's developer tools.
//
// A container loads neither URLs nor ES modules: its game.js is CommonJS, and WebAssembly comes from a
// file of the code package, by path (TTWebAssembly.instantiate(path, imports) on Douyin,
// WXWebAssembly.instantiate(path, imports) on WeChat). So the module gets instantiateWasm, which hands
// Emscripten the instance made from that path, and locateFile, which keeps it from building a URL.
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
  socket.configure({ socketDomains: config.socketDomains, skipDomainCheck: !!config.skipDomainCheck });
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
