// TEST CODE, NOT SHIPPED: the real client under the container emulator (emulator.js) in Node: the npm
// `ws` client, which (unlike a browser page) sends request headers and any close code, and shows the
// response header and the moments of the connection, as a container's native network stack does.
export function nodeOpener(WS) {
  return (url, protocols, header) => {
    // The moments of the opening (Date.now()), from the request's socket: lookup (none for an IP
    // literal), TCP connect, TLS, and the 101.
    const times = {};
    const finishRequest = (req) => {
      req.on('socket', (socket) => {
        times.connectStart = Date.now();
        socket.on('lookup', () => { times.lookupStart = times.connectStart; times.lookupEnd = times.connectStart = Date.now(); });
        socket.on(url.startsWith('wss:') ? 'secureConnect' : 'connect', () => { times.connectEnd = Date.now(); });
      });
      req.end();
    };
    const ws = new WS(url, protocols, { headers: header, finishRequest });
    ws.binaryType = 'arraybuffer';
    // The 101's fields, names as sent and in order; a repeated name's values joined by ", ".
    const responseHeader = {};
    const a = { get readyState() { return ws.readyState; }, send: (d) => ws.send(d),
      close: (c, r) => (c === undefined ? ws.close() : ws.close(c, r)) };
    ws.on('upgrade', (res) => {
      times.upgrade = Date.now();
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const [name, value] = res.rawHeaders.slice(i, i + 2);
        responseHeader[name] = name in responseHeader ? `${responseHeader[name]}, ${value}` : value;
      }
    });
    ws.on('open', () => a.onopen?.(responseHeader, times));
    ws.on('message', (d, isBinary) => a.onmessage?.(isBinary ? d : d.toString()));
    ws.on('error', (e) => a.onerror?.(e.message));
    ws.on('close', (code, reason) => a.onclose?.(code, reason.toString()));
    return a;
  };
}
