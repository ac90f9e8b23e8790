// The Emscripten module factory (ttsocket.mjs, MODULARIZE + EXPORT_ES6). Every tt_* function of
// include/ttsocket.h is exported (as _tt_*) together with the flat ttjs_* bridge used by index.js. There is no
// ccall/cwrap (they cost 0.9 KB of the 30 KB budget): call the exports directly, strings through
// UTF8ToString / stringToUTF8, e.g. m.UTF8ToString(m._tt_version()).
export interface TTSocketModuleOptions {
  /** Resolve the path of ttsocket.wasm (default: next to ttsocket.mjs, via import.meta.url). */
  locateFile?: (path: string, scriptDirectory: string) => string;
  /** The wasm bytes, when the runtime cannot fetch them (e.g. Node: fs.readFileSync). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  print?: (text: string) => void;
  printErr?: (text: string) => void;
  /** The runtime also reads instantiateWasm, onAbort, onRuntimeInitialized, preRun, postRun and
   *  noExitRuntime (the package is built with a fixed INCOMING_MODULE_JS_API); other keys are only copied
   *  onto the module object. */
  [key: string]: unknown;
}

export interface TTSocketModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  UTF8ToString(ptr: number, maxBytesToRead?: number): string;
  stringToUTF8(str: string, outPtr: number, maxBytesToWrite: number): number;
  lengthBytesUTF8(str: string): number;
  _malloc(size: number): number;
  _free(ptr: number): void;
  _tt_version(): number;
  _tt_runtime_backend(): number;
  _tt_strerror(code: number): number;
  _tt_connect_socket(options: number): number;
  _tt_socket_task_send(task: number, options: number): void;
  _tt_socket_task_close(task: number, options: number): void;
  _tt_socket_task_on_open(task: number, cb: number, userData: number): void;
  _tt_socket_task_on_message(task: number, cb: number, userData: number): void;
  _tt_socket_task_on_close(task: number, cb: number, userData: number): void;
  _tt_socket_task_on_error(task: number, cb: number, userData: number): void;
  _tt_socket_task_ready_state(task: number): number;
  _tt_socket_task_buffered_amount(task: number): number;
  _tt_runtime_configure(config: number): number;
  _tt_runtime_poll(timeoutMs: number): number;
  _tt_runtime_shutdown(): void;
  _ttjs_configure(skipDomainCheck: number, domains: number, domainCount: number, connectTimeoutMs: number, maxConnections: number, maxMessageSize: number, backend: number): number;
  _ttjs_connect(url: number, protocols: number, protocolCount: number, headers: number, headerCount: number, timeoutMs: number, req: number): number;
  _ttjs_send(id: number, type: number, data: number, length: number, req: number): void;
  _ttjs_close(id: number, code: number, reason: number, req: number): void;
  _ttjs_observe(id: number, stats: number, size: number): number;
  _ttjs_send_no_memory(req: number): void;
  _ttjs_close_no_memory(req: number): void;
}

declare function createTTSocketModule(options?: TTSocketModuleOptions): Promise<TTSocketModule>;
export default createTTSocketModule;
