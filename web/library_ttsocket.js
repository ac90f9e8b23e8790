/*
 * The JavaScript half of ttsocket's web transport (web/transport_web.c), passed to emcc with
 * --js-library. It fills the gaps of Emscripten 3.1.6's library_websocket.js (the $WS registry, -lwebsocket.js):
 *
 * - creating a socket without letting a constructor exception abort the module,
 * - sending text and closing with an explicit byte length (so U+0000 survives; UTF8ToString stops at it),
 * - learning the exact byte length of a close reason (the shared event struct only holds a C string),
 * - silencing and forgetting a socket (emscripten_websocket_delete is broken in 3.1.6),
 * - a browser timer whose keepalive count stays balanced when it is cleared.
 *
 * Every function that touches a WebSocket checks the socket and catches what the browser may throw:
 * an exception escaping here would abort the whole game.
 */
mergeInto(LibraryManager.library, {
  $TTWEB: {
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

  // Creates a WebSocket in Emscripten's registry so emscripten_websocket_* work on the returned id.
  // url: NUL-terminated; protocols: NUL-terminated comma-separated list or 0. Returns the id (> 0) or
  // -1 when the constructor threw.
  tt__web_new__deps: ['$WS'],
  tt__web_new: function(url, protocols) {
    if (typeof WebSocket === 'undefined') return -2;
    var socket;
    try {
      var u = UTF8ToString(url);
      var p = protocols ? UTF8ToString(protocols) : '';
      socket = p ? new WebSocket(u, p.split(',')) : new WebSocket(u);
    } catch (e) {
      return -1;
    }
    socket.binaryType = 'arraybuffer';
    // Runs before the close handler Emscripten installs later (listeners fire in registration order), so
    // the C close callback can ask for the reason's exact UTF-8 length.
    socket.addEventListener('close', function(e) {
      socket.ttReasonLength = lengthBytesUTF8(e.reason || '');
    });
    var id = WS.sockets.length;
    WS.sockets[id] = socket;
    return id;
  },

  // Byte length of the reason of the close event being delivered.
  tt__web_close_reason_length__deps: ['$WS'],
  tt__web_close_reason_length: function(id) {
    var socket = WS.sockets[id];
    return socket && socket.ttReasonLength ? socket.ttReasonLength : 0;
  },

  // Sends len bytes of UTF-8 at ptr as one text message. 0, or -1 when the socket cannot take it.
  tt__web_send_text__deps: ['$WS', '$TTWEB'],
  tt__web_send_text: function(id, ptr, len) {
    var socket = WS.sockets[id];
    if (!socket || socket.readyState === 0) return -1;
    try {
      socket.send(TTWEB.decode(ptr, len));
    } catch (e) {
      return -1;
    }
    return 0;
  },

  // Starts the closing handshake with code and the reason of len bytes at ptr.
  tt__web_close__deps: ['$WS', '$TTWEB'],
  tt__web_close: function(id, code, ptr, len) {
    var socket = WS.sockets[id];
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
  tt__web_release__deps: ['$WS'],
  tt__web_release: function(id, abort) {
    var socket = WS.sockets[id];
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    WS.sockets[id] = null;
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
