// Shared by the browser page harnesses (tests/parity/page, tests/conformance/page), served as
// /support/tracked_sockets.js by startStatic in tests/parity/common.mjs. Importing it replaces
// window.WebSocket with a subclass that remembers every socket the page creates, so that a run's
// leftovers can be closed before the next run starts.
const sockets = new Set();
const NativeWebSocket = window.WebSocket;
class TrackedWebSocket extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    sockets.add(this);
  }
}
window.WebSocket = TrackedWebSocket;

// Detaches the handlers of every tracked socket, closes those still connecting or open, forgets them
// all, and returns how many it closed.
export function closeLeftovers() {
  let n = 0;
  for (const s of sockets) {
    s.onopen = s.onmessage = s.onerror = s.onclose = null;
    if (s.readyState === 0 || s.readyState === 1) {
      n++;
      try { s.close(); } catch { /* ignore */ }
    }
  }
  sockets.clear();
  return n;
}
