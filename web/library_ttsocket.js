/*
 * The JavaScript half of ttsocket's web transport (web/transport_web.c), passed to emcc with
 * --js-library. It owns the browser WebSocket objects itself (Emscripten's library_websocket.js is not
 * linked: it mallocs and frees a buffer per received message, and its glue alone was a tenth of the
 * package), and reports events through the <emscripten/websocket.h> event structs and callback types,
 * so the C side reads them as it would Emscripten's:
 *
 * - creating a socket without letting a constructor exception abort the module,
 * - one shared event struct, filled before each callback and overwritten by the next; a received
 *   message sits in a reusable heap buffer that is valid only during its callback (for text, numBytes
 *   counts a trailing NUL, as with Emscripten's glue),
 * - sending text and closing with an explicit byte length (so U+0000 survives; UTF8ToString stops at it),
 * - the exact byte length of a close reason (the event struct only holds a C string),
 * - silencing and forgetting a socket,
 * - a browser timer whose keepalive count stays balanced when it is cleared.
 *
 * Every function that touches a WebSocket checks the socket and catches what the browser may throw:
 * an exception escaping here would abort the whole game.
 */
mergeInto(LibraryManager.library, {
  $TTWEB: {
    sockets: [null], // id -> WebSocket; ids start at 1
    ev: 0,           // the shared event struct (the size of EmscriptenWebSocketCloseEvent, the largest)
    buf: 0,          // the receive buffer, kept between messages while small
    cap: 0,
    busy: 0,         // a message callback is running: a nested message gets its own buffer
    decoder: null,
    timers: {},
    nextTimer: 0,
    decode: function(ptr, len) {
      if (!TTWEB.decoder) TTWEB.decoder = new TextDecoder('utf-8');
      if (len === 0) return '';
      // TextDecoder refuses views of a shared buffer; copy in that case (pthread builds).
      var view = HEAPU8.subarray(ptr, ptr + len);
      if (typeof SharedArrayBuffer !== 'undefined' && view.buffer instanceof SharedArrayBuffer) {
        view = new Uint8Array(view);
      }
      return TTWEB.decoder.decode(view);
    }
  },

  // Creates a WebSocket and wires its four events to the C callbacks (the <emscripten/websocket.h>
  // callback types; eventType is always 0). url: NUL-terminated; protocols: NUL-terminated
  // comma-separated list or 0. Returns the id (> 0), -1 when the constructor threw, -2 without
  // WebSocket, -3 out of memory.
  tt__web_new__deps: ['$TTWEB'],
  tt__web_new: function(url, protocols, userData, onOpen, onMessage, onError, onClose) {
    if (typeof WebSocket === 'undefined') return -2;
    if (!TTWEB.ev && !(TTWEB.ev = _tt__web_malloc(528))) return -3;
    var socket;
    try {
      var u = UTF8ToString(url);
      var p = protocols ? UTF8ToString(protocols) : '';
      socket = p ? new WebSocket(u, p.split(',')) : new WebSocket(u);
    } catch (e) {
      return -1;
    }
    socket.binaryType = 'arraybuffer';
    var id = TTWEB.sockets.length;
    TTWEB.sockets[id] = socket;
    function call(cb) {
      HEAP32[TTWEB.ev >> 2] = id;
      {{{ makeDynCall('iiii', 'cb') }}}(0, TTWEB.ev, userData);
    }
    socket.onopen = function() { call(onOpen); };
    socket.onerror = function() { call(onError); };
    socket.onclose = function(e) {
      var ev = TTWEB.ev, reason = e.reason || '';
      socket.ttReasonLength = lengthBytesUTF8(reason);
      HEAP32[ev + 4 >> 2] = e.wasClean ? 1 : 0;
      HEAPU16[ev + 8 >> 1] = e.code;
      stringToUTF8(reason, ev + 10, 512);
      call(onClose);
    };
    socket.onmessage = function(e) {
      var d = e.data, text = typeof d === 'string', n, p, own;
      if (text) n = lengthBytesUTF8(d) + 1;
      else n = (d = new Uint8Array(d)).length;
      if (!TTWEB.busy && n <= TTWEB.cap) {
        p = TTWEB.buf;
      } else {
        // Grow the shared buffer up to 64 KiB; anything larger (or nested) is freed after the callback.
        own = TTWEB.busy || n > 65536;
        p = _tt__web_malloc(n);
        if (!p) {
          // Out of memory: fail the connection as the browser would (error, then close).
          call(onError);
          try { socket.close(); } catch (e2) { /* nothing left to do */ }
          return;
        }
        if (!own) {
          _tt__web_free(TTWEB.buf);
          TTWEB.buf = p;
          TTWEB.cap = n;
        }
      }
      if (text) stringToUTF8(d, p, n);
      else HEAPU8.set(d, p);
      var ev = TTWEB.ev;
      HEAP32[ev + 4 >> 2] = p;
      HEAP32[ev + 8 >> 2] = n;
      HEAP32[ev + 12 >> 2] = text ? 1 : 0;
      TTWEB.busy++;
      try {
        call(onMessage);
      } finally {
        TTWEB.busy--;
        if (own) _tt__web_free(p);
      }
    };
    return id;
  },

  // Byte length of the reason of the close event being delivered.
  tt__web_close_reason_length__deps: ['$TTWEB'],
  tt__web_close_reason_length: function(id) {
    var socket = TTWEB.sockets[id];
    return socket && socket.ttReasonLength ? socket.ttReasonLength : 0;
  },

  // The socket's protocol (which 0) or extensions (which 1) as UTF-8: writes at most cap bytes with a
  // NUL to buf (when buf != 0) and returns the size it needs, NUL included (1 for none or no socket).
  tt__web_socket_string__deps: ['$TTWEB'],
  tt__web_socket_string: function(id, which, buf, cap) {
    var socket = TTWEB.sockets[id];
    var s = socket ? (which ? socket.extensions : socket.protocol) || '' : '';
    if (buf) stringToUTF8(s, buf, cap);
    return lengthBytesUTF8(s) + 1;
  },

  // Sends len bytes at ptr as one message (text: UTF-8, which the core has validated). 0, or -1 when
  // the socket cannot take it (gone, CONNECTING, or the browser threw).
  tt__web_send__deps: ['$TTWEB'],
  tt__web_send: function(id, text, ptr, len) {
    var socket = TTWEB.sockets[id];
    if (!socket || socket.readyState === 0) return -1;
    try {
      socket.send(text ? TTWEB.decode(ptr, len) : HEAPU8.subarray(ptr, ptr + len));
    } catch (e) {
      return -1;
    }
    return 0;
  },

  tt__web_buffered_amount__deps: ['$TTWEB'],
  tt__web_buffered_amount: function(id) {
    var socket = TTWEB.sockets[id];
    return socket ? socket.bufferedAmount : 0;
  },

  // Starts the closing handshake with code and the reason of len bytes at ptr.
  tt__web_close__deps: ['$TTWEB'],
  tt__web_close: function(id, code, ptr, len) {
    var socket = TTWEB.sockets[id];
    if (!socket) return -1;
    try {
      socket.close(code, TTWEB.decode(ptr, len));
    } catch (e) {
      // Unreachable with validated input; never let it escape.
      try { socket.close(1000); } catch (e2) { return -1; }
    }
    return 0;
  },

  // Forgets a socket: no handler fires any more. With abort != 0 it is also closed (a CONNECTING socket
  // is failed, an OPEN one gets a Close frame without a status code).
  tt__web_release__deps: ['$TTWEB'],
  tt__web_release: function(id, abort) {
    var socket = TTWEB.sockets[id];
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    TTWEB.sockets[id] = null;
    if (abort) {
      try { socket.close(); } catch (e) { /* nothing left to do */ }
    }
  },

  // A one-shot timer that keeps the runtime alive while pending. Returns a small integer handle (Node's
  // setTimeout returns an object, which cannot cross into wasm).
  tt__web_timer_set__deps: ['$TTWEB', '$callUserCallback', '$runtimeKeepalivePush', '$runtimeKeepalivePop'],
  tt__web_timer_set: function(cb, ms, userData) {
    var handle = ++TTWEB.nextTimer;
    runtimeKeepalivePush();
    TTWEB.timers[handle] = setTimeout(function() {
      delete TTWEB.timers[handle];
      runtimeKeepalivePop();
      callUserCallback(function() {
        {{{ makeDynCall('vi', 'cb') }}}(userData);
      });
    }, ms);
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

  // Fills buf with n bytes from crypto.getRandomValues (browser and Node >= 19 global crypto).
  tt__web_random: function(buf, n) {
    var view = HEAPU8.subarray(buf, buf + n);
    if (typeof crypto === 'object' && crypto.getRandomValues) {
      for (var off = 0; off < n; off += 65536) {
        crypto.getRandomValues(view.subarray(off, Math.min(n, off + 65536)));
      }
      return 0;
    }
    return -1;
  }
});
