// ttsocket for JavaScript: tt.connectSocket / SocketTask backed by the ttsocket wasm library, so a web
// game gets exactly the validation, errMsg strings and callback order of the C API (and of the native
// build). The wasm file is located with new URL('ttsocket.wasm', import.meta.url) inside ttsocket.mjs,
// which Vite, webpack 5, Rollup and esbuild all follow.
import createTTSocketModule from './ttsocket.mjs';

export { createTTSocketModule };

const READY_STATE = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 };

// Text from the library: ignoreBOM keeps a leading U+FEFF, as a browser's WebSocket and the native build
// do (the default TextDecoder, and Emscripten's UTF8ToString, drop it).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

// The game's listener runs as a browser runs an event listener: an exception it throws is reported
// (reportError: the console and window's error event; console.error where there is none) and every
// later callback is still delivered. Letting it unwind through the library would leave the library
// inside a callback forever.
function invoke(fn, res) {
  if (typeof fn !== 'function') return;
  try {
    fn(res);
  } catch (e) {
    if (typeof reportError === 'function') reportError(e);
    else console.error(e);
  }
}

// The numbers bridge.c hands over, under the names it gives them there (its enums, TT_DATA_TEXT of
// ttsocket.h, the layout of struct tt_header); tests/web/package.test.mjs fails if the two sides disagree.
const EMIT_RESULT = 0, EMIT_OPEN = 1, EMIT_MESSAGE = 2, EMIT_ERROR = 3, EMIT_CLOSE = 4;
const RESULT_SUCCESS = 0, RESULT_FAIL = 1, RESULT_COMPLETE = 2;
const TT_DATA_TEXT = 0;
const HEADER_FIELD_WORDS = 2; // struct tt_header: name and value, two 32-bit pointers

// The fields of tt_open_profile and tt_task_stats in their C order (bridge.c hands over the structs, all
// 64-bit numbers), with WeChat's names where WeChat's onOpen profile has the field. null = the backend
// cannot know it (all bits set: TT_PROFILE_UNKNOWN, TT_STATS_UNKNOWN).
const PROFILE_KEYS = ['fetchStart', 'domainLookUpStart', 'domainLookUpEnd', 'connectStart', 'tcpConnectEnd',
  'SSLconnectionStart', 'SSLconnectionEnd', 'connectEnd', 'requestStart', 'requestEnd', 'responseEnd', 'open',
  'rtt', 'handshakeCost', 'cost'];
const STATS_KEYS = ['messagesSent', 'messagesReceived', 'bytesSent', 'bytesReceived', 'wireBytesSent',
  'wireBytesReceived', 'framesSent', 'framesReceived', 'pingsReceived', 'pongsSent', 'compressedPayloadSent',
  'compressedWireSent', 'compressedPayloadReceived', 'compressedWireReceived', 'peakBufferedAmount', 'openMs',
  'tasks'];
// tt_capability bits, in order from bit 0.
const CAPABILITY_KEYS = ['requestHeaders', 'close1001', 'responseHeader', 'profileNetwork', 'deflate',
  'deflateOption', 'sendBufferLimit', 'wireStats', 'errorDetail', 'caFile'];

function int64s(module, ptr, keys) {
  const out = {};
  keys.forEach((k, i) => {
    const lo = module.HEAPU32[(ptr >> 2) + 2 * i], hi = module.HEAPU32[(ptr >> 2) + 2 * i + 1];
    out[k] = lo === 0xffffffff && hi === 0xffffffff ? null : hi * 4294967296 + lo;
  });
  return out;
}

// A task's statistics (id > 0) or the runtime's sum (id 0) as a plain object; null for an unknown task.
function readStats(module, id) {
  const size = 8 * STATS_KEYS.length;
  const p = module._malloc(size);
  const rc = module._ttjs_observe(id, p, size);
  const out = rc === 0 ? int64s(module, p, STATS_KEYS) : null;
  module._free(p);
  return out;
}

function callResult(cbs, kind, res) {
  invoke(kind === RESULT_SUCCESS ? cbs.success : kind === RESULT_FAIL ? cbs.fail : cbs.complete, res);
}

class SocketTask {
  constructor(runtime, id) {
    this._rt = runtime;
    this.socketTaskId = id;
    this._listeners = { open: [], message: [], error: [], close: [] };
  }
  // The C calls take a tt_socket_task, a struct of one uint32_t, which the wasm C ABI passes as that
  // number; size_t is 32 bits here, so >>> 0 reads it unsigned.
  get readyState() { return this._rt._m._tt_socket_task_ready_state(this.socketTaskId); }
  get bufferedAmount() { return this._rt._m._tt_socket_task_buffered_amount(this.socketTaskId) >>> 0; }
  // This task's statistics (also inside onClose), or null once it is gone or for a refused task.
  stats() { return this.socketTaskId ? readStats(this._rt._m, this.socketTaskId) : null; }

  // data: string (text frame) or ArrayBuffer / typed array (binary frame).
  send(options = {}) {
    const m = this._rt._m;
    const req = this._rt._request(options);
    let bytes, type;
    if (typeof options.data === 'string') {
      bytes = new TextEncoder().encode(options.data);
      type = 0;
    } else if (options.data instanceof ArrayBuffer) {
      bytes = new Uint8Array(options.data);
      type = 1;
    } else if (ArrayBuffer.isView(options.data)) {
      bytes = new Uint8Array(options.data.buffer, options.data.byteOffset, options.data.byteLength);
      type = 1;
    } else {
      // No usable data: a NULL payload with a length, so the library reports its own errMsg.
      m._ttjs_send(this.socketTaskId, 0, 0, 1, req);
      return;
    }
    const p = m._malloc(bytes.length || 1);
    if (!p) {
      m._ttjs_send_no_memory(req);
      return;
    }
    m.HEAPU8.set(bytes, p);
    m._ttjs_send(this.socketTaskId, type, p, bytes.length, req);
    m._free(p);
  }

  close(options = {}) {
    const m = this._rt._m;
    const req = this._rt._request(options);
    const reason = options.reason == null ? 0 : this._rt._str(String(options.reason));
    if (reason === null) {
      m._ttjs_close_no_memory(req);
      return;
    }
    m._ttjs_close(this.socketTaskId, options.code | 0, reason, req);
    if (reason) m._free(reason);
  }

  onOpen(cb) { this._listeners.open.push(cb); }
  onMessage(cb) { this._listeners.message.push(cb); }
  onError(cb) { this._listeners.error.push(cb); }
  onClose(cb) { this._listeners.close.push(cb); }
  offOpen(cb) { this._off('open', cb); }
  offMessage(cb) { this._off('message', cb); }
  offError(cb) { this._off('error', cb); }
  offClose(cb) { this._off('close', cb); }
  _off(kind, cb) {
    const l = this._listeners[kind];
    const i = cb ? l.indexOf(cb) : -1;
    if (!cb) l.length = 0;
    else if (i >= 0) l.splice(i, 1);
  }
  _emit(kind, res) {
    for (const cb of this._listeners[kind].slice()) invoke(cb, res);
  }
}

export class TTSocketRuntime {
  constructor(module) {
    this._m = module;
    this._nextReq = 1;
    this._requests = new Map();
    this._tasks = new Map();
    const self = this;
    const text = (ptr) => module.UTF8ToString(ptr);
    // bridge.c's one way out, Module.__ttjs(event, ...): a function per EMIT_* number, each taking that
    // event's arguments (strings as pointers).
    const handlers = [];
    handlers[EMIT_RESULT] = function result(req, kind, errMsg, id) {
      const cbs = self._requests.get(req);
      if (!cbs) return;
      if (kind === RESULT_COMPLETE) self._requests.delete(req);
      callResult(cbs, kind, id ? { errMsg: text(errMsg), socketTaskId: id } : { errMsg: text(errMsg) });
    };
    handlers[EMIT_OPEN] = function open(id, protocol, extensions, profile, fields, count) {
      // The response header's fields (struct tt_header: two pointers each); none in a browser, which
      // exposes none (README: parity exceptions), those of the host's onOpen on a mini-game container.
      const header = {};
      for (let i = 0; i < count; i++) {
        const at = (fields >> 2) + HEADER_FIELD_WORDS * i;
        header[text(module.HEAPU32[at])] = text(module.HEAPU32[at + 1]);
      }
      self._tasks.get(id)?._emit('open', { protocol: text(protocol), extensions: text(extensions), header,
        profile: int64s(module, profile, PROFILE_KEYS) });
    };
    handlers[EMIT_MESSAGE] = function message(id, type, ptr, len) {
      const t = self._tasks.get(id);
      if (!t) return;
      const view = module.HEAPU8.subarray(ptr, ptr + len);
      const data = type === TT_DATA_TEXT ? decoder.decode(view) : view.slice().buffer;
      t._emit('message', { data });
    };
    handlers[EMIT_ERROR] = function error(id, errMsg, detail) {
      self._tasks.get(id)?._emit('error', { errMsg: text(errMsg), detail: text(detail) });
    };
    handlers[EMIT_CLOSE] = function close(id, code, reasonPtr, wasClean) {
      const t = self._tasks.get(id);
      self._tasks.delete(id);
      const heap = module.HEAPU8;
      const end = heap.indexOf(0, reasonPtr);
      const reason = decoder.decode(heap.subarray(reasonPtr, end < 0 ? reasonPtr : end));
      t?._emit('close', { code, reason, wasClean: !!wasClean });
    };
    module.__ttjs = (event, ...args) => handlers[event](...args);
  }

  get module() { return this._m; }
  // Marks the runtime so that the module's backend choice never takes it for a container's own tt (a
  // game may well keep it in a global named tt).
  get ttsocketRuntime() { return true; }
  version() { return this._m.UTF8ToString(this._m._tt_version()); }
  // The backend the next connectSocket uses: 'browser', 'tt', 'wx' (mini-game containers) or 'none'.
  backend() { return this._m.UTF8ToString(this._m._tt_runtime_backend()); }

  // { socketDomains: string[], skipDomainCheck, connectTimeout, maxConnections, maxMessageSize,
  //   backend: 'auto' | 'browser' | 'tt' | 'wx' } -> 0 or < 0 (an unknown backend: TT_EINVAL)
  configure(config = {}) {
    const m = this._m;
    const domains = (config.socketDomains || []).map((d) => this._str(String(d)));
    const arr = this._ptrs(domains);
    if (!arr || domains.includes(null)) {
      // Out of memory: no array with a count makes the bridge return TT_ENOMEM.
      this._freeAll([arr, ...domains]);
      return m._ttjs_configure(0, 0, domains.length || 1, 0, 0, 0, 0);
    }
    // tt_backend's values; anything else becomes -1, which tt_runtime_configure refuses.
    const backend = config.backend == null ? 0 : ['auto', 'native', 'browser', 'tt', 'wx'].indexOf(config.backend);
    const rc = m._ttjs_configure(config.skipDomainCheck ? 1 : 0, arr, domains.length,
      config.connectTimeout | 0, config.maxConnections | 0, Number(config.maxMessageSize) || 0, backend);
    domains.forEach((p) => m._free(p));
    m._free(arr);
    return rc;
  }

  // tt.connectSocket({url, header, protocols, timeout, success, fail, complete}) -> SocketTask, always, as
  // tt returns one. When the options are refused, fail (then complete) says why, the task's
  // socketTaskId is 0 (no task, as the C API's {0}), no event ever reaches its listeners, readyState is
  // CLOSED and its send/close fail with "...:fail invalid socketTaskId".
  connectSocket(options = {}) {
    const m = this._m;
    const req = this._request(options);
    const url = this._str(options.url == null ? '' : String(options.url));
    const protos = (options.protocols || []).map((p) => this._str(String(p)));
    const protoArr = this._ptrs(protos);
    const hdrs = [];
    for (const [k, v] of Object.entries(options.header || {})) hdrs.push(this._str(k), this._str(String(v)));
    const hdrArr = this._ptrs(hdrs);
    const all = [url, protoArr, hdrArr, ...protos, ...hdrs];
    if (all.some((p) => !p)) {
      // Out of memory: without a URL the bridge reports connectSocket:fail out of memory.
      this._freeAll(all);
      m._ttjs_connect(0, 0, 0, 0, 0, 0, req);
      return new SocketTask(this, 0);
    }
    const id = m._ttjs_connect(url, protoArr, protos.length, hdrArr, hdrs.length / 2, options.timeout | 0, req);
    this._freeAll(all);
    const task = new SocketTask(this, id);
    if (id) this._tasks.set(id, task);
    return task;
  }

  shutdown() { this._m._tt_runtime_shutdown(); }

  // The sum over every task so far (tt_runtime_stats).
  stats() { return readStats(this._m, 0); }

  // What this backend honours (tt_runtime_capabilities), as booleans.
  capabilities() {
    const bits = this._m._ttjs_observe(0, 0, 0);
    return Object.fromEntries(CAPABILITY_KEYS.map((k, i) => [k, (bits & (1 << i)) !== 0]));
  }

  _request(options) {
    const req = this._nextReq++;
    this._requests.set(req, { success: options.success, fail: options.fail, complete: options.complete });
    return req;
  }
  // A NUL-terminated copy of s in the wasm heap, or null when out of memory.
  _str(s) {
    const m = this._m;
    const n = m.lengthBytesUTF8(s) + 1;
    const p = m._malloc(n);
    if (!p) return null;
    m.stringToUTF8(s, p, n);
    return p;
  }
  // An array of the pointers in list in the wasm heap, or null when out of memory.
  _ptrs(list) {
    const m = this._m;
    const p = m._malloc(4 * list.length || 4);
    if (!p) return null;
    list.forEach((v, i) => { m.HEAPU32[(p >> 2) + i] = v; });
    return p;
  }
  _freeAll(list) {
    for (const p of list) if (p) this._m._free(p);
  }
}

TTSocketRuntime.READY_STATE = READY_STATE;

// Loads the wasm module and returns a runtime. moduleOptions go to the Emscripten factory
// (e.g. locateFile, wasmBinary, print).
export async function createTTSocket(moduleOptions = {}) {
  return new TTSocketRuntime(await createTTSocketModule(moduleOptions));
}

export default createTTSocket;
