// A minimal Douyin / WeChat mini-game that runs a C game built with ttsocket: the demo client of
// `make demo` (web/demo/client.c), compiled to WebAssembly with its Emscripten glue. `make minigame` writes
// this project to build/minigame/ with demo/client.js (the glue, a CommonJS factory) and demo/client.wasm;
// open that directory in the platform's developer tools. Inside the container the web build finds the
// global `tt` (Douyin) or `wx` (WeChat) and drives its connectSocket / SocketTask: the game's connections
// never need a WebSocket look-alike.
//
// A container loads neither URLs nor ES modules: its game.js is CommonJS, and WebAssembly comes from a
// file of the code package, by path (TTWebAssembly.instantiate(path, imports) on Douyin,
// WXWebAssembly.instantiate(path, imports) on WeChat). So the module gets instantiateWasm, which hands
// Emscripten the instance made from that path, and locateFile, which keeps it from building a URL.
const createDemoClient = require('./demo/client.js');
const config = require('./config.js');

const WASM_PATH = 'demo/client.wasm';
/* global TTWebAssembly, WXWebAssembly */
const Wasm = typeof TTWebAssembly === 'object' ? TTWebAssembly : typeof WXWebAssembly === 'object' ? WXWebAssembly : null;

createDemoClient({
  // The C program's argv: client.c connects its players to this echo server.
  arguments: [config.url],
  // Each line is one event of the trace ("[game] onOpen ...", "[demo] done").
  print: (line) => console.log(line),
  printErr: (line) => console.error(line),
  locateFile: (file) => file,
  instantiateWasm(imports, receive) {
    Wasm.instantiate(WASM_PATH, imports).then((r) => receive(r.instance, r.module),
      (e) => console.error(`demo client: cannot instantiate ${WASM_PATH}: ${e}`));
    return {}; // the exports arrive through receive
  },
});
