/*
 * The JavaScript half of ttsocket's web transport (web/transport_web.c), passed to emcc with
 * --js-library. It owns the browser WebSocket objects itself (Emscripten's library_websocket.js is not
 * linked: it mallocs and frees a buffer per received message, and its glue alone was a tenth of the
 * package). Events reach C in transport_web.c's own event record, never in a struct of Emscripten's
 * headers (their layout changed between releases). Every offset, size, kind and result code shared with
 * C is written here as @TT__WEB_<NAME>@: web/CMakeLists.txt fills in the values from web/web_abi.h, their
 * one definition, and refuses a name that file does not define. (This file is therefore a template;
 * emcc gets the filled-in copy from the build directory or the installed lib/ttsocket.)
 *
 * - creating a socket without letting a constructor exception abort the module,
 * - one shared event record, filled before each callback and overwritten by the next; a received
 *   message, a close reason or the open's subprotocol and extensions sit in a reusable heap buffer that
 *   is valid only during its callback,
 * - sending text and closing with an explicit byte length (so U+0000 survives; UTF8ToString stops at
 *   it), decoded with ignoreBOM so that a leading U+FEFF is kept as the native build keeps it,
 * - silencing and forgetting a socket (its table slot is reused),
 * - named handlers: a browser WebSocket's listener is the socket's own record (handleEvent), a host's
 *   callbacks are named functions bound to the record; nothing of ours is stored on a browser or host
 *   object (per-socket state lives in the record, in the socket table),
 * - a browser timer whose keepalive count stays balanced when it is cleared,
 * - in a -pthread build, running on the thread that calls it (the game's; each thread has its own socket
 *   table) and copying bytes out of the shared heap where the browser refuses shared views.
 *
 * Every function that touches a WebSocket checks the socket and catches what the browser may throw:
 * an exception escaping here would abort the whole game.
 */
// addToLibrary appeared in Emscripten 3.1.35; older releases (Debian 12's 3.1.6) only have mergeInto.
(typeof addToLibrary === 'function' ? addToLibrary : function(lib) { mergeInto(LibraryManager.library, lib); })({
  // The object's methods name the top-level handlers below (which use TTWEB, so they do not list it).
  $TTWEB__deps: ['$ttwebSocketEvent', '$ttwebDrained', '$ttwebConnect', '$ttwebConnectFail', '$ttwebShown',
                 '$ttwebHostProfile', '$ttwebWatched'],
  $TTWEB: {
    sockets: [null], // id -> WebSocket; ids start at 1; a released id goes to free and is reused
    free: [],
    ev: 0,           // the shared event record
    buf: 0,          // the receive buffer, kept between messages while small
    cap: 0,
    busy: 0,         // an event callback is running: a nested event gets its own buffer
    decoder: null,
    timers: {},
    nextTimer: 0,
    // An exception left a call into C (a game callback threw, or Emscripten's unwind): unless the
    // program is exiting or aborted, the core forgets the skipped frames; then it goes on up as before.
    unwound: function(e) {
      if (!ABORT && !(e && e.name === 'ExitStatus')) _tt__web_recover();
      throw e;
    },
    decodeText: function(ptr, len) {
      // ignoreBOM: a leading U+FEFF is text like any other (the default decoder drops it).
      if (!TTWEB.decoder) TTWEB.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      return len ? TTWEB.decoder.decode(TTWEB.bytes(ptr, len)) : '';
    },
    // len bytes of the heap at ptr as a Uint8Array: a view, or a copy when the heap is a
    // SharedArrayBuffer (a -pthread build), whose views TextDecoder.decode and WebSocket.send refuse.
    bytes: function(ptr, len) {
      var view = HEAPU8.subarray(ptr, ptr + len);
      return typeof SharedArrayBuffer !== 'undefined' && view.buffer instanceof SharedArrayBuffer ? view.slice() : view;
    },
    // Copies n bytes (a string's UTF-8 when text) into the heap for one callback: the shared buffer when
    // it fits and no callback runs, else a fresh block (*own, freed after the callback). 0 when out of
    // memory.
    stage: function(d, text, n, own) {
      var p;
      if (!TTWEB.busy && n + 1 <= TTWEB.cap) {
        p = TTWEB.buf;
      } else {
        p = _tt__web_alloc(0, n + 1);
        if (!p) return 0;
        // Keep a block up to 64 KiB as the shared buffer; anything larger (or nested) is freed after.
        own[0] = TTWEB.busy || n > 65536;
        if (!own[0]) {
          _tt__web_alloc(TTWEB.buf, 0);
          TTWEB.buf = p;
          TTWEB.cap = n + 1;
        }
      }
      if (text) stringToUTF8(d, p, n + 1);
      else HEAPU8.set(d, p);
      return p;
    },
    // Fills the event record and calls the C handler of ent. The record is six consecutive 32-bit fields
    // in the order of the arguments (transport_web.c asserts it), written with one set. A field whose
    // argument is left out is 0 (a typed array stores undefined as 0, and true / false as 1 / 0; data and
    // length keep their bits, as in an unsigned view).
    callHandler: function(ent, kind, data, length, text, code, wasClean) {
      var ev = TTWEB.ev;
      HEAP32.set([kind, data, length, text, code, wasClean], ev + @TT__WEB_EVENT_KIND@ >> 2);
      try {
        {{{ makeDynCall('vii', 'ent.onEvent') }}}(ev, ent.userData);
      } catch (e) {
        TTWEB.unwound(e);
      }
    },
    // An event with bytes (a message, a close reason, the open's strings, a container's error text): they
    // go to the heap for the duration of the callback.
    deliver: function(ent, kind, d, text, code, wasClean) {
      var n = text ? lengthBytesUTF8(d) : d.length, own = [false];
      var p = n ? TTWEB.stage(d, text, n, own) : 0;
      if (n && !p) {
        // No room in the wasm heap: a message or an error text fails the task (C closes the socket); a
        // close reason (at most 123 bytes) or the open's strings are dropped rather than lose the event.
        if (kind !== @TT__WEB_EV_CLOSE@ && kind !== @TT__WEB_EV_OPEN@) return TTWEB.callHandler(ent, @TT__WEB_EV_NO_MEMORY@, 0, n);
        n = 0;
      }
      TTWEB.busy++;
      try {
        TTWEB.callHandler(ent, kind, p, n, text, code, wasClean);
      } finally {
        TTWEB.busy--;
        if (own[0]) _tt__web_alloc(p, 0);
      }
    },
    // The open, carrying the negotiated subprotocol and extensions as "protocol\0extensions", then a
    // container's count response header fields as "\0name\0value" each.
    deliverOpen: function(ent, protocol, extensions, fields, count) {
      TTWEB.deliver(ent, @TT__WEB_EV_OPEN@, (protocol || '') + '\0' + (extensions || '') + (fields || ''), true, count);
    },
    // A message of either backend: a string, an ArrayBuffer or any typed array / DataView; anything else
    // (only a container can send it) fails the connection.
    deliverMessage: function(ent, d) {
      var text = typeof d == 'string';
      if (!text) {
        if (!(d instanceof ArrayBuffer || ArrayBuffer.isView(d))) return TTWEB.failConnection(ent, 'message data is neither string nor ArrayBuffer');
        d = new Uint8Array(d.buffer || d, d.byteOffset || 0, d.byteLength);
      }
      TTWEB.deliver(ent, @TT__WEB_EV_MESSAGE@, d, text);
    },
    // Wires a browser WebSocket's four events to its record, which is their listener (ttwebSocketEvent).
    wire: function(ent) {
      var socket = ent.ws;
      socket.binaryType = 'arraybuffer';
      ent.handleEvent = ttwebSocketEvent;
      for (var type of ['open', 'message', 'error', 'close']) socket.addEventListener(type, ent);
    },

    // ---- The mini-game container backend (tt.connectSocket / wx.connectSocket and their SocketTask) ----
    // The host is foreign code that differs between vendors and versions. Whatever it does, the core must
    // see one event at a time, never during a call into the host, and nothing after the end:
    // - every call into the host is made through hostCall, which catches what it throws (the connection
    //   then fails with the exception's message as the error detail) and counts the depth; a host event
    //   that arrives during such a call (or while earlier ones wait) is queued and delivered in order from
    //   a microtask, after the call has returned;
    // - the first of onError, connectSocket's fail, onClose (or a failed send) ends the connection; the
    //   core forgets it and later events of that SocketTask are ignored (ent.gone); a send that fails
    //   while the task is closing leaves the end to the host's onClose (the server's code);
    // - connectSocket's success says nothing the core needs (onOpen does) and is ignored, before or after
    //   onOpen;
    // - message data may be a string, an ArrayBuffer or any typed array / DataView; anything else fails
    //   the connection;
    // - a SocketTask the host killed in the background without an event (tt.onShow finds its readyState
    //   CLOSED) ends as a dropped connection: close 1006.
    hostApi: function(b) {
      if (b === @TT__WEB_BACKEND_BROWSER@) return typeof WebSocket != 'undefined';
      var api = b === @TT__WEB_BACKEND_TT@ ? typeof tt == 'object' && tt : b === @TT__WEB_BACKEND_WX@ && typeof wx == 'object' && wx;
      // Not ttsocket's own package runtime, which a game may keep in a global named tt.
      return api && typeof api.connectSocket == 'function' && !api.ttsocketRuntime && api;
    },
    // Runs fn(ent, arg) (which calls the host) with its events held back; what it throws fails the
    // connection. Returns TT__WEB_OK, or TT__WEB_FAIL when it threw.
    hostCall: function(ent, fn, arg) {
      ent.depth++;
      try {
        fn(ent, arg);
        return @TT__WEB_OK@;
      } catch (e) {
        TTWEB.post(ent, TTWEB.failConnection, 'host threw: ' + (e && e.message || e));
        return @TT__WEB_FAIL@;
      } finally {
        ent.depth--;
      }
    },
    // Runs fn(ent, arg, res) now, or (during a host call or behind held-back events) from a microtask, in
    // order. A host's callback is post bound to ent and a named handler, so what the host passes is arg;
    // a send's success and fail are bound to its record as well, and what the host passes is res.
    post: function(ent, fn, arg, res) {
      if (ent.gone) return;
      if (!ent.depth && !ent.q.length) return fn(ent, arg, res);
      ent.q.push([fn, arg, res]);
      TTWEB.drain(ent);
    },
    // One queued event per microtask (so that one a game callback leaves by an exception stops nothing).
    drain: function(ent) {
      if (ent.sched) return;
      ent.sched = 1;
      Promise.resolve(ent).then(ttwebDrained);
    },
    // Ends the connection as failed: onError with this detail, then onClose 1006 (from the core).
    failConnection: function(ent, detail) {
      if (ent.ended) return;
      ent.ended = 1;
      TTWEB.deliver(ent, @TT__WEB_EV_ERROR@, '' + detail, true);
    },
    // The response header (WeChat and Douyin document it on onOpen) reaches the open event and names the
    // chosen protocol and extensions; a header that is not an object gives none, and a field whose value
    // is not a string (or whose name or value holds a NUL) is left out. Then WeChat's profile.
    onOpen: function(ent, res) {
      if (ent.opened || ent.ended) return;
      ent.opened = 1;
      var h = res && res.header, protocol, extensions, fields = '', count = 0;
      if (h && typeof h == 'object') for (var k in h) {
        var v = h[k];
        if (typeof v != 'string' || /\0/.test(k + v)) continue;
        if (/^sec-websocket-protocol$/i.test(k)) protocol = v;
        if (/^sec-websocket-extensions$/i.test(k)) extensions = v;
        fields += '\0' + k + '\0' + v;
        count++;
      }
      ttwebHostProfile(ent, res && res.profile);
      TTWEB.deliverOpen(ent, protocol, extensions, fields, count);
    },
    onMessage: function(ent, res) {
      if (!ent.ended && ent.opened) TTWEB.deliverMessage(ent, res && res.data);
    },
    onError: function(ent, res) {
      TTWEB.failConnection(ent, res && res.errMsg || '');
    },
    // onClose, or a task found dead: before open it is a failure; without a code, a dropped connection.
    onClose: function(ent, res) {
      if (ent.ended) return;
      if (!ent.opened) return TTWEB.failConnection(ent, res && (res.errMsg || res.reason) || '');
      ent.ended = 1;
      var code = res && typeof res.code == 'number' ? res.code : @TT__WEB_CLOSE_ABNORMAL@;
      // A container reports no wasClean: a close with a code from the peer's Close frame was clean.
      TTWEB.deliver(ent, @TT__WEB_EV_CLOSE@, res && res.reason || '', true, code, code != @TT__WEB_CLOSE_ABNORMAL@);
    },
    // Creates the SocketTask (ttwebConnect) with connectSocket's fail routed through post.
    openTask: function(ent, url, protocols, header, timeout) {
      var o = { url: url, fail: TTWEB.post.bind(0, ent, ttwebConnectFail) };
      if (protocols.length) o.protocols = protocols;
      if (header) o.header = header;
      if (timeout > 0) o.timeout = timeout + @TT__WEB_HOST_TIMEOUT_SLACK_MS@;
      ent.depth = 0;
      ent.q = [];
      TTWEB.hostCall(ent, ttwebConnect, o);
    },
    // Once per host (the hosts watched are kept in ttwebWatched, not marked): on onShow, a SocketTask the
    // host reports CLOSED without having told us ends as dropped (ttwebShown).
    watch: function(api) {
      if (ttwebWatched.indexOf(api) >= 0 || typeof api.onShow != 'function') return;
      ttwebWatched.push(api);
      try {
        api.onShow(ttwebShown);
      } catch (e) { /* nothing to watch with */ }
    }
  },

  // ---- Named handlers (top-level functions of the glue) ----

  // A browser WebSocket's events; `this` is the socket's record (the listener object), so no closure and
  // nothing on the WebSocket. A released record ignores what still arrives.
  $ttwebSocketEvent: function(e) {
    var ent = this;
    if (ent.gone) return;
    switch (e.type) {
      case 'message': return TTWEB.deliverMessage(ent, e.data);
      case 'open': return TTWEB.deliverOpen(ent, ent.ws.protocol, ent.ws.extensions);
      case 'error': return TTWEB.callHandler(ent, @TT__WEB_EV_ERROR@);
      default: TTWEB.deliver(ent, @TT__WEB_EV_CLOSE@, e.reason || '', true, e.code, e.wasClean);
    }
  },
  // One held-back host event, from the microtask TTWEB.drain scheduled.
  $ttwebDrained: function(ent) {
    ent.sched = 0;
    if (ent.gone || !ent.q.length) return;
    var x = ent.q.shift();
    if (ent.q.length) TTWEB.drain(ent);
    x[0](ent, x[1], x[2]);
  },
  // Inside hostCall: creates the SocketTask and binds its four events to TTWEB.onOpen .. onClose via post.
  $ttwebConnect: function(ent, o) {
    ent.task = ent.container.connectSocket(o);
    for (var name of ['onOpen', 'onMessage', 'onError', 'onClose']) ent.task[name](TTWEB.post.bind(0, ent, TTWEB[name]));
    TTWEB.watch(ent.container);
  },
  // connectSocket's fail: a failure before onOpen; after it, the task's own events decide.
  $ttwebConnectFail: function(ent, res) {
    if (!ent.opened) TTWEB.onError(ent, res);
  },
  // The game came back to the foreground: a task the host closed without a word ends as dropped.
  $ttwebShown: function() {
    for (var ent of TTWEB.sockets) {
      if (ent && ent.task && ent.opened && ent.task.readyState === @TT__WEB_READY_CLOSED@) TTWEB.post(ent, TTWEB.onClose, {});
    }
  },
  // WeChat's onOpen profile (ttwebProfileNames): each field the core can use goes to C before the open: a
  // moment as its distance in ms from the host's fetchStart (the host's clock is its own; the core places
  // fetchStart at tt_connect_socket's call), rtt and handshakeCost as they are. A field that is not a
  // number, a moment without a numeric fetchStart or before it, and anything not in 0 .. 4e9 ms stay
  // unknown.
  $ttwebHostProfile__deps: ['$ttwebProfileNames'],
  $ttwebHostProfile: function(ent, p) {
    // A profile that is not an object has no field named as above (for-in over a string gives indices).
    for (var k in p) {
      var i = ttwebProfileNames.indexOf(k.toLowerCase()), v = p[k];
      if (i < 1 || typeof v != 'number') continue;
      if (i < @TT__WEB_PROFILE_RTT@) v -= typeof p.fetchStart == 'number' ? p.fetchStart : NaN;
      // The record's length field is 32 bits unsigned; it keeps whole milliseconds.
      if (v >= 0 && v < 4e9) TTWEB.callHandler(ent, @TT__WEB_EV_PROFILE@, 0, v, 0, i);
    }
  },
  // Its names in lower case (the docs spell both domainLookUpStart and domainLookupStart), each at the
  // index of its field in tt_open_profile; '' where the host has no name for the field.
  $ttwebProfileNames: ['', 'domainlookupstart', 'domainlookupend', 'connectstart', '', 'sslconnectionstart',
    'sslconnectionend', 'connectend', '', '', '', '', 'rtt', 'handshakecost'],
  $ttwebWatched: [],
  // Inside hostCall: the host's send and close.
  $ttwebHostSend: function(ent, o) { ent.task.send(o); },
  $ttwebHostClose: function(ent, o) { ent.task.close(o); },
  // A container send's success or fail (the first of them; sent = [bytes, reported]) gives the bytes back
  // to bufferedAmount. A fail while the server's Close is under way (the task CLOSING or CLOSED) waits for
  // the host's onClose, which carries the server's code, within the close timeout; any other fail means
  // the connection is lost.
  $ttwebSent: function(ent, sent) {
    if (sent[1] || ent.ended) return 0;
    sent[1] = 1;
    TTWEB.callHandler(ent, @TT__WEB_EV_SENT@, 0, sent[0]);
    return 1;
  },
  $ttwebSendFailed__deps: ['$ttwebSent'],
  $ttwebSendFailed: function(ent, sent, res) {
    if (!ttwebSent(ent, sent)) return;
    var state = ent.task.readyState;
    if (state === @TT__WEB_READY_CLOSING@ || state === @TT__WEB_READY_CLOSED@) TTWEB.callHandler(ent, @TT__WEB_EV_CLOSING@);
    else TTWEB.failConnection(ent, res && res.errMsg || 'host send failed');
  },
  // A browser timer fired (tt__web_timer_set): the keepalive it held goes, then the C callback runs.
  $ttwebTimerFired__deps: ['$callUserCallback', '$runtimeKeepalivePop', '$ttwebTimerCall'],
  $ttwebTimerFired: function(handle, cb, userData) {
    delete TTWEB.timers[handle];
    runtimeKeepalivePop();
    callUserCallback(ttwebTimerCall.bind(0, cb, userData));
  },
  $ttwebTimerCall__deps: ['tt__web_recover'],
  $ttwebTimerCall: function(cb, userData) {
    try {
      {{{ makeDynCall('vi', 'cb') }}}(userData);
    } catch (e) {
      TTWEB.unwound(e);
    }
  },

  // Which backend tt__web_new would use for the requested one (TT__WEB_BACKEND_*; 0 = auto): the
  // mini-game container's tt.connectSocket, then wx.connectSocket, then the browser WebSocket. Returns
  // TT__WEB_BACKEND_NONE when the requested one (or, for auto, every one) is missing.
  tt__web_backend__deps: ['$TTWEB'],
  tt__web_backend: function(requested) {
    // In order of preference: a container's own API before the WebSocket an adapter may have installed.
    for (var b of [@TT__WEB_BACKEND_TT@, @TT__WEB_BACKEND_WX@, @TT__WEB_BACKEND_BROWSER@]) {
      if ((requested === 0 || requested === b) && TTWEB.hostApi(b)) return b;
    }
    return @TT__WEB_BACKEND_NONE@;
  },

  // Creates a connection on backend (resolved by tt__web_backend) and wires its events to onEvent(record,
  // userData) (void (*)(const tt__web_event *, void *)). url: NUL-terminated; protocols: nprotocols
  // NUL-terminated tokens; headers: nheaders struct tt_header (used by the containers only, the browser
  // cannot send them); timeout: ms, passed to a container. Returns the id (> 0), or TT__WEB_NEW_EURL when
  // the browser's constructor threw, TT__WEB_NEW_ENOWS without the backend, TT__WEB_NEW_ENOMEM out of memory.
  tt__web_new__deps: ['$TTWEB', 'tt__web_alloc', 'tt__web_recover'],
  tt__web_new: function(url, protocols, nprotocols, headers, nheaders, timeout, backend, userData, onEvent) {
    if (!TTWEB.hostApi(backend)) return @TT__WEB_NEW_ENOWS@;
    if (!TTWEB.ev && !(TTWEB.ev = _tt__web_alloc(0, @TT__WEB_EVENT_SIZE@))) return @TT__WEB_NEW_ENOMEM@;
    var u = UTF8ToString(url);
    var p = [];
    for (var i = 0; i < nprotocols; i++) p.push(UTF8ToString(HEAPU32[(protocols >> 2) + i]));
    // container: the host's API object (tt or wx), or false on the browser's WebSocket.
    var ent = { onEvent: onEvent, userData: userData, container: backend !== @TT__WEB_BACKEND_BROWSER@ && TTWEB.hostApi(backend) };
    if (ent.container) {
      var h = {};
      for (i = 0; i < nheaders; i++) {
        var at = headers + i * @TT__WEB_HEADER_SIZE@;
        h[UTF8ToString(HEAPU32[at + @TT__WEB_HEADER_NAME@ >> 2])] = UTF8ToString(HEAPU32[at + @TT__WEB_HEADER_VALUE@ >> 2]);
      }
      TTWEB.openTask(ent, u, p, nheaders ? h : null, timeout);
    } else {
      try {
        ent.ws = p.length ? new WebSocket(u, p) : new WebSocket(u);
      } catch (e) {
        return @TT__WEB_NEW_EURL@;
      }
      TTWEB.wire(ent);
    }
    var id = TTWEB.free.length ? TTWEB.free.pop() : TTWEB.sockets.length;
    TTWEB.sockets[id] = ent;
    return id;
  },

  // Sends len bytes at ptr as one message (text: UTF-8, which the core has validated). TT__WEB_OK, or TT__WEB_FAIL when
  // the socket cannot take it (gone, CONNECTING, or the browser threw). A container's send reports its
  // result later as TT__WEB_EV_SENT; when its send throws, the connection fails (TT__WEB_EV_ERROR follows).
  tt__web_send__deps: ['$TTWEB', '$ttwebHostSend', '$ttwebSent', '$ttwebSendFailed'],
  tt__web_send: function(id, text, ptr, len) {
    var ent = TTWEB.sockets[id];
    if (!ent) return @TT__WEB_FAIL@;
    // A container gets binary data as an ArrayBuffer of its own (the documented type of send's data); its
    // success and fail share the record [bytes, reported] (ttwebSent, ttwebSendFailed).
    if (ent.container) {
      var sent = [len, 0];
      return TTWEB.hostCall(ent, ttwebHostSend, {
        data: text ? TTWEB.decodeText(ptr, len) : HEAPU8.slice(ptr, ptr + len).buffer,
        success: TTWEB.post.bind(0, ent, ttwebSent, sent),
        fail: TTWEB.post.bind(0, ent, ttwebSendFailed, sent)
      });
    }
    var socket = ent.ws;
    if (socket.readyState === 0 /* CONNECTING */) return @TT__WEB_FAIL@;
    try {
      socket.send(text ? TTWEB.decodeText(ptr, len) : TTWEB.bytes(ptr, len));
    } catch (e) {
      return @TT__WEB_FAIL@;
    }
    return @TT__WEB_OK@;
  },

  tt__web_buffered_amount__deps: ['$TTWEB'],
  tt__web_buffered_amount: function(id) {
    var ent = TTWEB.sockets[id];
    return ent && ent.ws ? ent.ws.bufferedAmount : 0;
  },

  // Starts the closing handshake with code and the reason of len bytes at ptr.
  tt__web_close__deps: ['$TTWEB', '$ttwebHostClose'],
  tt__web_close: function(id, code, ptr, len) {
    var ent = TTWEB.sockets[id], socket = ent && ent.ws;
    if (!ent) return @TT__WEB_FAIL@;
    var reason = TTWEB.decodeText(ptr, len);
    if (ent.container) return TTWEB.hostCall(ent, ttwebHostClose, { code: code, reason: reason });
    try {
      socket.close(code, reason);
    } catch (e) {
      // Unreachable with validated input; never let it escape.
      try { socket.close(); } catch (e2) { return @TT__WEB_FAIL@; }
    }
    return @TT__WEB_OK@;
  },

  // Forgets a socket: no handler fires any more. With abort != 0 it is also closed (a CONNECTING socket
  // is failed, an OPEN one gets a Close frame without a status code).
  tt__web_release__deps: ['$TTWEB', '$ttwebHostClose'],
  tt__web_release: function(id, abort) {
    var ent = TTWEB.sockets[id], socket = ent && ent.ws;
    if (!ent) return;
    ent.gone = true;
    TTWEB.sockets[id] = null;
    TTWEB.free.push(id);
    if (ent.container) {
      // A SocketTask cannot be silenced: ent.gone makes its handlers do nothing from now on.
      if (abort) TTWEB.hostCall(ent, ttwebHostClose, {});
      return;
    }
    // ent.gone silences its listener (ttwebSocketEvent).
    if (abort) {
      try { socket.close(); } catch (e) { /* nothing left to do */ }
    }
  },

  // A one-shot timer that keeps the runtime alive while pending. Returns a small integer handle (Node's
  // setTimeout returns an object, which cannot cross into wasm).
  tt__web_timer_set__deps: ['$TTWEB', '$runtimeKeepalivePush', '$ttwebTimerFired'],
  tt__web_timer_set: function(cb, ms, userData) {
    var handle = ++TTWEB.nextTimer;
    runtimeKeepalivePush();
    TTWEB.timers[handle] = setTimeout(ttwebTimerFired, ms, handle, cb, userData);
    return handle;
  },

  tt__web_timer_clear__deps: ['$TTWEB', '$runtimeKeepalivePop'],
  tt__web_timer_clear: function(handle) {
    var timer = TTWEB.timers[handle];
    if (timer === undefined) return;
    delete TTWEB.timers[handle];
    clearTimeout(timer);
    runtimeKeepalivePop();
  },

  // Holds (hold != 0) or lets go of the runtime: Emscripten's keepalive counter, which EXIT_RUNTIME
  // builds check after every callback. transport_web.c holds it once per live connection (3.1.6 has
  // no C API for the counter).
  tt__web_keepalive__deps: ['$runtimeKeepalivePush', '$runtimeKeepalivePop'],
  tt__web_keepalive: function(hold) {
    if (hold) runtimeKeepalivePush();
    else runtimeKeepalivePop();
  },
});
