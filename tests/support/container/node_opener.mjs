// TEST CODE, NOT SHIPPED: the real client under the container emulator (emulator.js) in Node: the npm
// `ws` client, which (unlike a browser page) sends request headers and any close code, and shows the
// response header, as a container's native network stack does.
export function nodeOpener(WS) {
  return (url, protocols, header) => {
    const ws = new WS(url, protocols, { headers: header });
    ws.binaryType = 'arraybuffer';
    let responseHeader = {};
    const a = { get readyState() { return ws.readyState; }, send: (d) => ws.send(d),
      close: (c, r) => (c === undefined ? ws.close() : ws.close(c, r)) };
    ws.on('upgrade', (res) => { responseHeader = res.headers; });
    ws.on('open', () => a.onopen?.(responseHeader));
    ws.on('message', (d, isBinary) => a.onmessage?.(isBinary ? d : d.toString()));
    ws.on('error', (e) => a.onerror?.(e.message));
    ws.on('close', (code, reason) => a.onclose?.(code, reason.toString()));
    return a;
  };
}
