import createTTSocketModule, { TTSocketModule, TTSocketModuleOptions } from './ttsocket.mjs';
export { createTTSocketModule, TTSocketModule, TTSocketModuleOptions };

export interface TTResult { errMsg: string; socketTaskId?: number }
export interface TTCallbacks {
  success?: (res: TTResult) => void;
  fail?: (res: TTResult) => void;
  complete?: (res: TTResult) => void;
}
export interface ConnectSocketOptions extends TTCallbacks {
  /** wss:// (ws:// only with skipDomainCheck); http(s):// is refused. Accepted only when a browser reads
   * it as the same host, port, path and query; the browser is given the URL rebuilt from the parsed parts
   * (README: URLs). */
  url: string;
  /** Validated like tt does, but a browser cannot send request headers (README: parity exceptions). */
  header?: Record<string, string>;
  protocols?: string[];
  /** ms; 0 or absent = the runtime default (60000). */
  timeout?: number;
}
export interface SendOptions extends TTCallbacks { data: string | ArrayBuffer | ArrayBufferView }
export interface CloseOptions extends TTCallbacks { code?: number; reason?: string }

/** Milliseconds (performance.now() times, or durations); null where the browser cannot tell. */
export interface OpenProfile {
  fetchStart: number; domainLookUpStart: number | null; domainLookUpEnd: number | null;
  connectStart: number | null; tcpConnectEnd: number | null; SSLconnectionStart: number | null;
  SSLconnectionEnd: number | null; connectEnd: number | null; requestStart: number | null;
  requestEnd: number | null; responseEnd: number | null; open: number; rtt: number | null;
  handshakeCost: number | null; cost: number;
}
/** header: always {} in a browser, which exposes no response header; on a mini-game container, the host's. */
export interface OpenEvent { protocol: string; extensions: string; header: Record<string, string>; profile: OpenProfile }
/** Counters; null where the browser cannot count (wire bytes, frames, pings, compression). */
export interface SocketStats {
  messagesSent: number; messagesReceived: number; bytesSent: number; bytesReceived: number;
  wireBytesSent: number | null; wireBytesReceived: number | null; framesSent: number | null;
  framesReceived: number | null; pingsReceived: number | null; pongsSent: number | null;
  compressedPayloadSent: number | null; compressedWireSent: number | null;
  compressedPayloadReceived: number | null; compressedWireReceived: number | null;
  peakBufferedAmount: number; openMs: number; tasks: number;
}
export interface Capabilities {
  requestHeaders: boolean; close1001: boolean; responseHeader: boolean; profileNetwork: boolean;
  deflate: boolean; deflateOption: boolean; sendBufferLimit: boolean; wireStats: boolean;
  errorDetail: boolean; caFile: boolean;
}
export interface MessageEvent { data: string | ArrayBuffer }
export interface ErrorEvent { errMsg: string; detail: string }
export interface CloseEvent { code: number; reason: string; wasClean: boolean }

export declare class SocketTask {
  /** 1, 2, 3 ... in creation order; 0 for the task of a refused connectSocket (no event ever arrives). */
  readonly socketTaskId: number;
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED */
  readonly readyState: number;
  readonly bufferedAmount: number;
  /** This task's statistics (also inside onClose); null once the task is gone. */
  stats(): SocketStats | null;
  send(options: SendOptions): void;
  close(options?: CloseOptions): void;
  onOpen(cb: (ev: OpenEvent) => void): void;
  onMessage(cb: (ev: MessageEvent) => void): void;
  onError(cb: (ev: ErrorEvent) => void): void;
  onClose(cb: (ev: CloseEvent) => void): void;
  offOpen(cb?: (ev: OpenEvent) => void): void;
  offMessage(cb?: (ev: MessageEvent) => void): void;
  offError(cb?: (ev: ErrorEvent) => void): void;
  offClose(cb?: (ev: CloseEvent) => void): void;
}

export interface RuntimeConfig {
  socketDomains?: string[];
  skipDomainCheck?: boolean;
  connectTimeout?: number;
  maxConnections?: number;
  maxMessageSize?: number;
  /** Which network API carries the sockets; 'auto' (default): tt.connectSocket, else wx.connectSocket, else WebSocket. */
  backend?: 'auto' | 'browser' | 'tt' | 'wx';
}

export declare class TTSocketRuntime {
  static readonly READY_STATE: { CONNECTING: 0; OPEN: 1; CLOSING: 2; CLOSED: 3 };
  readonly module: TTSocketModule;
  version(): string;
  /** 0, or a negative TT_E* code. */
  configure(config?: RuntimeConfig): number;
  /** The backend the next connectSocket uses: 'browser', 'tt', 'wx', or 'none'. */
  backend(): 'browser' | 'tt' | 'wx' | 'none';
  /**
   * Always a task, as tt.connectSocket returns one. When the options are refused, fail/complete report
   * why, socketTaskId is 0, no listener is ever called, readyState is 3 (CLOSED) and send/close fail
   * with "sendSocketMessage:fail invalid socketTaskId" / "closeSocket:fail invalid socketTaskId".
   */
  connectSocket(options: ConnectSocketOptions): SocketTask;
  shutdown(): void;
  /** The sum over every task so far. */
  stats(): SocketStats;
  capabilities(): Capabilities;
}

export declare function createTTSocket(moduleOptions?: TTSocketModuleOptions): Promise<TTSocketRuntime>;
export default createTTSocket;
