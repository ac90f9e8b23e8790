import createTTSocketModule, { TTSocketModule, TTSocketModuleOptions } from './ttsocket.mjs';
export { createTTSocketModule, TTSocketModule, TTSocketModuleOptions };

export interface TTResult { errMsg: string; socketTaskId?: number }
export interface TTCallbacks {
  success?: (res: TTResult) => void;
  fail?: (res: TTResult) => void;
  complete?: (res: TTResult) => void;
}
export interface ConnectSocketOptions extends TTCallbacks {
  url: string;
  /** Validated like tt does, but a browser cannot send request headers (README: parity exceptions). */
  header?: Record<string, string>;
  protocols?: string[];
  /** ms; 0 or absent = the runtime default (60000). */
  timeout?: number;
}
export interface SendOptions extends TTCallbacks { data: string | ArrayBuffer | ArrayBufferView }
export interface CloseOptions extends TTCallbacks { code?: number; reason?: string }

export interface OpenEvent { protocol: string; extensions: string; header: Record<string, string> }
export interface MessageEvent { data: string | ArrayBuffer }
export interface ErrorEvent { errMsg: string; detail: string }
export interface CloseEvent { code: number; reason: string; wasClean: boolean }

export declare class SocketTask {
  readonly socketTaskId: number;
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED */
  readonly readyState: number;
  readonly bufferedAmount: number;
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
  /** The task, or null when the options were refused (fail/complete report why). */
  connectSocket(options: ConnectSocketOptions): SocketTask | null;
  shutdown(): void;
}

export declare function createTTSocket(moduleOptions?: TTSocketModuleOptions): Promise<TTSocketRuntime>;
export default createTTSocket;
