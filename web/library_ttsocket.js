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
 * - a browser timer whose keepalive count stays balanced when it is cleared.
 *
 * Every function that touches a WebSocket checks the socket and catches what the browser may throw:
 * an exception escaping here would abort the whole game.
 */
// addToLibrary appeared in Emscripten 3.1.35; older releases (Debian 12's 3.1.6) only have mergeInto.
(typeof addToLibrary === 'function' ? addToLibrary : function(lib) { mergeInto(LibraryManager.library, lib); })({
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
    decode: function(ptr, len) {
      // ignoreBOM: a leading U+FEFF is text like any other (the default decoder drops it).
      if (!TTWEB.decoder) TTWEB.decoder = new TextDecoder('utf-8', { ignoreBOM: true });
      if (len === 0) return '';
      // TextDecoder refuses views of a shared buffer; copy in that case (pthread builds).
      var view = HEAPU8.subarray(ptr, ptr + len);
      if (typeof SharedArrayBuffer !== 'undefined' && view.buffer instanceof SharedArrayBuffer) {
        view = new Uint8Array(view);
      }
      return TTWEB.decoder.decode(view);
    },
    // Copies n bytes (a string's UTF-8 when text) into the heap for one callback: the shared buffer when
    // it fits and no callback runs, else a fresh block (*own, freed after the callback). 0 when out of
    // memory.
    stage: function(d, text, n, own) {
      var p;
      if (!TTWEB.busy && n + 1 <= TTWEB.cap) {
        p = TTWEB.buf;
      } else {
        p = _tt__web_malloc(n + 1);
        if (!p) return 0;
        // Keep a block up to 64 KiB as the shared buffer; anything larger (or nested) is freed after.
        own[0] = TTWEB.busy || n > 65536;
        if (!own[0]) {
          _tt__web_free(TTWEB.buf);
          TTWEB.buf = p;
          TTWEB.cap = n + 1;
        }
      }
      if (text) stringToUTF8(d, p, n + 1);
      else HEAPU8.set(d, p);
      return p;
    }
  },

  // Creates a WebSocket and wires its four events to onEvent(record, userData) (void (*)(const
  // tt__web_event *, void *)). url: NUL-terminated; protocols: an array of count NUL-terminated tokens.
  // Returns the id (> 0), or TT__WEB_NEW_EURL when the constructor threw, TT__WEB_NEW_ENOWS without
  // WebSocket, TT__WEB_NEW_ENOMEM out of memory.
  tt__web_new__deps: ['$TTWEB', 'tt__web_malloc', 'tt__web_free', 'tt__web_recover'],
  tt__web_new: function(url, protocols, count, userData, onEvent) {
    if (typeof WebSocket === 'undefined') return @TT__WEB_NEW_ENOWS@;
    if (!TTWEB.ev && !(TTWEB.ev = _tt__web_malloc(@TT__WEB_EVENT_SIZE@))) return @TT__WEB_NEW_ENOMEM@;
    var socket;
    try {
      var list = [];
      for (var i = 0; i < count; i++) list.push(UTF8ToString(HEAPU32[(protocols >> 2) + i]));
      socket = count ? new WebSocket(UTF8ToString(url), list) : new WebSocket(UTF8ToString(url));
    } catch (e) {
      return @TT__WEB_NEW_EURL@;
    }
    socket.binaryType = 'arraybuffer';
    var id = TTWEB.free.length ? TTWEB.free.pop() : TTWEB.sockets.length;
    TTWEB.sockets[id] = socket;
    // Delivers one event: kind, then the fields set by fill(record) (the rest are 0).
    function call(kind, data, length, text, code, wasClean) {
      var ev = TTWEB.ev;
      HEAP32[ev + @TT__WEB_EVENT_KIND@ >> 2] = kind;
      HEAPU32[ev + @TT__WEB_EVENT_DATA@ >> 2] = data;
      HEAPU32[ev + @TT__WEB_EVENT_LENGTH@ >> 2] = length;
      HEAP32[ev + @TT__WEB_EVENT_TEXT@ >> 2] = text;
      HEAP32[ev + @TT__WEB_EVENT_CODE@ >> 2] = code;
      HEAP32[ev + @TT__WEB_EVENT_WAS_CLEAN@ >> 2] = wasClean;
      try {
        {{{ makeDynCall('vii', 'onEvent') }}}(ev, userData);
      } catch (e) {
        TTWEB.unwound(e);
      }
    }
    // A message, close reason or the open's strings: their bytes go to the heap for the duration of the
    // callback.
    function deliver(kind, d, text, code, wasClean) {
      var n = text ? lengthBytesUTF8(d) : d.length, own = [false];
      var p = n ? TTWEB.stage(d, text, n, own) : 0;
      if (n && !p) {
        // No room in the wasm heap: a message fails its task (C closes the socket); a close reason (at
        // most 123 bytes) or the open's few bytes are dropped rather than lose the event.
        if (kind === @TT__WEB_EV_MESSAGE@) return call(@TT__WEB_EV_NO_MEMORY@, 0, n, 0, 0, 0);
        n = 0;
      }
      TTWEB.busy++;
      try {
        call(kind, p, n, text ? 1 : 0, code, wasClean);
      } finally {
        TTWEB.busy--;
        if (own[0]) _tt__web_free(p);
      }
    }
    // The open carries the negotiated subprotocol and extensions as "protocol\0extensions".
    socket.onopen = function() {
      deliver(@TT__WEB_EV_OPEN@, (socket.protocol || '') + '\0' + (socket.extensions || ''), true, 0, 0);
    };
    socket.onerror = function() { call(@TT__WEB_EV_ERROR@, 0, 0, 0, 0, 0); };
    socket.onclose = function(e) { deliver(@TT__WEB_EV_CLOSE@, e.reason || '', true, e.code, e.wasClean ? 1 : 0); };
    socket.onmessage = function(e) {
      var d = e.data, text = typeof d === 'string';
      deliver(@TT__WEB_EV_MESSAGE@, text ? d : new Uint8Array(d), text, 0, 0);
    };
    return id;
  },

  // Sends len bytes at ptr as one message (text: UTF-8, which the core has validated). TT__WEB_OK, or TT__WEB_FAIL when
  // the socket cannot take it (gone, CONNECTING, or the browser threw).
  tt__web_send__deps: ['$TTWEB'],
  tt__web_send: function(id, text, ptr, len) {
    var socket = TTWEB.sockets[id];
    if (!socket || socket.readyState === 0 /* CONNECTING */) return @TT__WEB_FAIL@;
    try {
      socket.send(text ? TTWEB.decode(ptr, len) : HEAPU8.subarray(ptr, ptr + len));
    } catch (e) {
      return @TT__WEB_FAIL@;
    }
    return @TT__WEB_OK@;
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
    if (!socket) return @TT__WEB_FAIL@;
    try {
      socket.close(code, TTWEB.decode(ptr, len));
    } catch (e) {
      // Unreachable with validated input; never let it escape.
      try { socket.close(); } catch (e2) { return @TT__WEB_FAIL@; }
    }
    return @TT__WEB_OK@;
  },

  // Forgets a socket: no handler fires any more. With abort != 0 it is also closed (a CONNECTING socket
  // is failed, an OPEN one gets a Close frame without a status code).
  tt__web_release__deps: ['$TTWEB'],
  tt__web_release: function(id, abort) {
    var socket = TTWEB.sockets[id];
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    TTWEB.sockets[id] = null;
    TTWEB.free.push(id);
    if (abort) {
      try { socket.close(); } catch (e) { /* nothing left to do */ }
    }
  },

  // A one-shot timer that keeps the runtime alive while pending. Returns a small integer handle (Node's
  // setTimeout returns an object, which cannot cross into wasm).
  tt__web_timer_set__deps: ['$TTWEB', '$callUserCallback', '$runtimeKeepalivePush', '$runtimeKeepalivePop',
                            'tt__web_recover'],
  tt__web_timer_set: function(cb, ms, userData) {
    var handle = ++TTWEB.nextTimer;
    runtimeKeepalivePush();
    TTWEB.timers[handle] = setTimeout(function() {
      delete TTWEB.timers[handle];
      runtimeKeepalivePop();
      callUserCallback(function() {
        try {
          {{{ makeDynCall('vi', 'cb') }}}(userData);
        } catch (e) {
          TTWEB.unwound(e);
        }
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
  }
});
