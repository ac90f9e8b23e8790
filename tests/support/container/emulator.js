// TEST CODE, NOT SHIPPED: an emulator of a mini-game container's socket API (Douyin `tt`, WeChat `wx`),
// written from their public API documentation, for the tests of ttsocket's container backend. It runs in
// Chromium (on top of the page's real WebSocket, which the caller captures and then deletes from the
// page, so that nothing can fall back to it) and in Node (on top of the npm `ws` client).
//
// What it models (the docs: developer.open-douyin.com mini-game tt.connectSocket / SocketTask,
// developers.weixin.qq.com minigame wx.connectSocket / SocketTask):
// - connectSocket({url, header, protocols, timeout, success, fail, complete}) returns a SocketTask at
//   once; success/fail/complete come later with {errMsg: 'connectSocket:ok', socketTaskId} or
//   {errMsg: 'connectSocket:fail ...'}; the url must be wss:// and its host in the domain list unless
//   the developer tools' "skip domain check" is on; header may not set Referer; at most 5 sockets live.
// - SocketTask: send({data, success, fail, complete}) with data a string or ArrayBuffer;
//   close({code, reason, success, fail, complete}); onOpen({header, profile}) with the response header
//   (both vendors) and, on wx only (WeChat >= 2.10.4; Douyin documents no profile), the profile: fetchStart,
//   domainLookUpStart/End, connectStart/End (times, ms on the host's clock: here Date.now()), rtt,
//   handshakeCost, cost (durations). A time the real client underneath cannot observe is left out (in
//   Chromium: all but fetchStart and cost; in Node: none);
//   onMessage({data}) with a string or ArrayBuffer; onError({errMsg}); onClose({code, reason});
//   readyState (0-3, as WebSocket's).
// - a non-empty protocols must be echoed by the server, or the connection fails (the real client
//   underneath enforces it).
// - onShow/onHide listeners of the game's visibility; test controls hide()/show() and kill(task) (the
//   host drops a socket in the background without any event).
// The errMsg wording of failures is the emulator's own ("connectSocket:fail <why>"): the docs give the
// prefix only.
//
// hostile: {...} makes it misbehave as real hosts of other versions and vendors do (one flag each):
//   syncCallbacks     success/fail/onOpen... delivered synchronously inside connectSocket/send/close
//                     where possible (connectSocket's success at once; send's success inside send)
//   successAfterOpen  connectSocket's success only after onOpen
//   errorWithoutClose a failure reports onError and never onClose
//   closeTwice        every onClose is reported twice
//   eventsAfterClose  after onClose, one more onMessage and onError arrive
//   dataAs            'typed' (Uint8Array over a larger buffer) or 'dataview' or 'number' for binary data
//   throwIn           'connectSocket' | 'send' | 'close' | 'onOpen': that method throws
//   sendSilent        send never calls success or fail (nor complete)
//   sendFail          send calls fail ({errMsg: 'sendSocketMessage:fail emulated'}) and sends nothing
//   messageOnClose    close() first delivers one more onMessage ('late'), synchronously
//   closeSilent       close() does nothing at all: no Close frame, no onClose
//   lateEvents        {onOpen: ms, onMessage: ms, onError: ms, onClose: ms}: that event of the real client
//                     is reported this much later: a host whose network runs on another thread, or that
//                     reports onClose after its own clean-up; readyState is the real one meanwhile
//   header            onOpen's header is this value instead of the real one (any type)
//   profile           onOpen's profile is this value instead (any type), on either vendor
//   profileAt         onOpen's profile holds these fields instead: numbers are ms after fetchStart for the
//                     times, as they are for rtt, handshakeCost and cost; anything else as it is
export function createContainer(opts) {
  const RealWS = opts.WebSocket;
  const hostile = opts.hostile || {};
  const vendor = opts.vendor || 'tt';
  const domains = (opts.domains || []).map((d) => d.toLowerCase());
  const log = opts.log || (() => {});
  const showListeners = [];
  const hideListeners = [];
  const live = new Set();
  let nextId = 1;
  // A result comes after the call that caused it returns, in a microtask: before the host's next network
  // event, as a host that settles a call before it looks at the network again would. A timer instead raced
  // the echo of the message just sent, and the game's bufferedAmount at that echo depended on which won.
  const later = (fn) => queueMicrotask(fn);
  const settle = (o, ok, res, sync) => {
    const run = () => {
      try {
        (ok ? o.success : o.fail)?.(res);
        o.complete?.(res);
      } catch (e) { log(`callback threw ${e}`); }
    };
    if (sync) run(); else later(run);
  };

  function connectSocket(o) {
    log(`connectSocket ${JSON.stringify({ url: o.url, header: o.header, protocols: o.protocols, timeout: o.timeout })}`);
    const fetchStart = Date.now();
    if (hostile.throwIn === 'connectSocket') throw new Error('emulated connectSocket exception');
    const id = nextId++;
    const handlers = { onOpen: [], onMessage: [], onError: [], onClose: [] };
    const emit = (name, res) => { for (const h of handlers[name].slice()) { try { h(res); } catch (e) { log(`listener threw ${e}`); } } };
    let ws = null;
    let closedReported = 0;
    let killed = false;
    const task = {
      get readyState() { return killed ? 3 : ws ? ws.readyState : 3; },
      send(s) {
        log(`send ${typeof s.data === 'string' ? 'text' : 'binary'} ${typeof s.data === 'string' ? s.data.length : s.data.byteLength}`);
        if (hostile.throwIn === 'send') throw new Error('emulated send exception');
        if (hostile.sendSilent) { if (ws && ws.readyState === 1) ws.send(s.data); return; }
        if (hostile.sendFail) return settle(s, false, { errMsg: 'sendSocketMessage:fail emulated' }, hostile.syncCallbacks);
        if (!ws || ws.readyState !== 1 || killed) return settle(s, false, { errMsg: 'sendSocketMessage:fail socket is not connected' }, hostile.syncCallbacks);
        ws.send(s.data);
        settle(s, true, { errMsg: 'sendSocketMessage:ok' }, hostile.syncCallbacks);
      },
      close(c = {}) {
        log(`close ${JSON.stringify({ code: c.code, reason: c.reason })}`);
        if (hostile.throwIn === 'close') throw new Error('emulated close exception');
        if (hostile.closeSilent) return;
        if (hostile.messageOnClose) emit('onMessage', { data: 'late' });
        if (!ws) return settle(c, false, { errMsg: 'closeSocket:fail socket is not connected' });
        try {
          if (c.code === undefined) ws.close();
          else ws.close(c.code, c.reason || '');
        } catch (e) {
          // The browser's WebSocket refuses 1001 (a container sends it): the nearest thing it can do.
          log(`real client refused close(${c.code}): ${e.name}`);
          ws.close(1000, c.reason || '');
        }
        settle(c, true, { errMsg: 'closeSocket:ok' }, hostile.syncCallbacks);
      },
    };
    for (const name of Object.keys(handlers)) {
      task[name] = (fn) => {
        if (name === 'onOpen' && hostile.throwIn === 'onOpen') throw new Error('emulated onOpen exception');
        handlers[name].push(fn);
      };
    }
    const refuse = (why) => {
      settle(o, false, { errMsg: `connectSocket:fail ${why}` }, hostile.syncCallbacks);
      return task;
    };
    let url;
    try { url = new URL(o.url); } catch { return refuse('invalid url'); }
    if (!opts.skipDomainCheck) {
      if (url.protocol !== 'wss:') return refuse('url scheme must be wss');
      if (!domains.includes(url.hostname.toLowerCase())) return refuse(`url not in domain list: ${url.hostname}`);
    }
    if (o.header && Object.keys(o.header).some((k) => k.toLowerCase() === 'referer')) return refuse('header Referer is not allowed');
    if (live.size >= 5) return refuse('exceed max task count');

    ws = opts.open(o.url, o.protocols || [], o.header || {});
    live.add(task);
    task.kill = () => { killed = true; ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null; try { ws.close(); } catch { /* gone */ } live.delete(task); };
    let successSent = false;
    const success = () => {
      if (successSent) return;
      successSent = true;
      settle(o, true, { errMsg: 'connectSocket:ok', socketTaskId: id }, hostile.syncCallbacks);
    };
    if (!hostile.successAfterOpen) success();
    const reportClose = (res) => {
      live.delete(task);
      const n = hostile.closeTwice ? 2 : 1;
      for (let i = 0; i < n; i++) { closedReported++; emit('onClose', res); }
      if (hostile.eventsAfterClose) {
        emit('onMessage', { data: 'late' });
        emit('onError', { errMsg: 'late error' });
      }
    };
    let failed = false;
    const onOpen = (header, times = {}) => {
      const res = { header: 'header' in hostile ? hostile.header : header };
      const profile = measuredProfile(fetchStart, times);
      if (vendor === 'wx') res.profile = profile;
      if (hostile.profileAt) res.profile = scriptedProfile(fetchStart, hostile.profileAt);
      if ('profile' in hostile) res.profile = hostile.profile;
      emit('onOpen', res);
      if (hostile.successAfterOpen) success();
    };
    const onMessage = (data) => {
      if (typeof data !== 'string' && hostile.dataAs === 'typed') {
        const big = new Uint8Array(data.byteLength + 8);
        big.set(new Uint8Array(data), 4);
        data = big.subarray(4, 4 + data.byteLength);
      } else if (typeof data !== 'string' && hostile.dataAs === 'dataview') data = new DataView(data);
      else if (typeof data !== 'string' && hostile.dataAs === 'number') data = 42;
      emit('onMessage', { data });
    };
    const onError = (why) => {
      failed = true;
      emit('onError', { errMsg: `emulated host: ${why}` });
      if (hostile.errorWithoutClose) { ws.onclose = null; live.delete(task); }
    };
    const onClose = (code, reason) => reportClose(failed ? { code: 1006, reason: '' } : { code, reason });
    // The real client's events, at once or (lateEvents) that much later.
    const late = hostile.lateEvents || {};
    const report = (name, fn) => (late[name] ? (...a) => setTimeout(() => fn(...a), late[name]) : fn);
    ws.onopen = report('onOpen', onOpen);
    ws.onmessage = report('onMessage', onMessage);
    ws.onerror = report('onError', onError);
    ws.onclose = report('onClose', onClose);
    return task;
  }

  // WeChat's profile from the moments the real client underneath observed (Date.now() values).
  function measuredProfile(fetchStart, t) {
    const p = { fetchStart };
    if (t.connectEnd !== undefined) {
      // No lookup (an IP literal) reads as a cached one: at fetchStart, as the docs say.
      p.domainLookUpStart = t.lookupStart ?? fetchStart;
      p.domainLookUpEnd = t.lookupEnd ?? fetchStart;
      p.connectStart = t.connectStart;
      p.connectEnd = t.connectEnd;
      p.rtt = t.connectEnd - t.connectStart;
      p.handshakeCost = t.upgrade - t.connectEnd;
    }
    p.cost = Date.now() - fetchStart;
    return p;
  }
  function scriptedProfile(fetchStart, at) {
    const p = { fetchStart };
    for (const [k, v] of Object.entries(at)) p[k] = typeof v === 'number' && !/^(rtt|handshakeCost|cost)$/.test(k) ? fetchStart + v : v;
    return p;
  }

  const api = {
    connectSocket,
    onShow: (fn) => { showListeners.push(fn); },
    onHide: (fn) => { hideListeners.push(fn); },
    // Test controls (not part of any container's API).
    emulator: {
      vendor,
      hide() { for (const fn of hideListeners) fn({}); },
      show() { for (const fn of showListeners) fn({}); },
      killAll() { for (const t of [...live]) t.kill(); },
    },
  };
  return api;
}

// The real client underneath in a browser page: the WebSocket the page had (captured before deletion).
// Returns the adapter createContainer's opts.open expects.
export function browserOpener(RealWS) {
  return (url, protocols, header) => {
    const ws = protocols.length ? new RealWS(url, protocols) : new RealWS(url);
    ws.binaryType = 'arraybuffer';
    const a = { get readyState() { return ws.readyState; }, send: (d) => ws.send(d), close: (c, r) => (c === undefined ? ws.close() : ws.close(c, r)) };
    // The page's WebSocket shows nothing of the 101 but the chosen subprotocol and extensions: the header
    // holds those two fields when the server sent them, and no timings.
    ws.onopen = () => {
      const header = {};
      if (ws.protocol) header['Sec-WebSocket-Protocol'] = ws.protocol;
      if (ws.extensions) header['Sec-WebSocket-Extensions'] = ws.extensions;
      a.onopen?.(header);
    };
    ws.onmessage = (e) => a.onmessage?.(e.data);
    ws.onerror = () => a.onerror?.('connection failed');
    ws.onclose = (e) => a.onclose?.(e.code, e.reason);
    void header; // a page cannot send request headers; the Node opener does
    return a;
  };
}
