// A sample app that imports the npm package by name ('ttsocket-web', installed from the packed tarball
// into a fresh Vite or webpack project by bundle.test.mjs) and does one text and one binary echo
// round-trip.
import createTTSocket from 'ttsocket-web';

const result = { events: [] };
const log = (s) => { result.events.push(s); document.getElementById('log').textContent += s + '\n'; };

const tt = await createTTSocket();
result.version = tt.version();
result.configure = tt.configure({ skipDomainCheck: true });
const url = new URLSearchParams(location.search).get('ws');
const task = tt.connectSocket({
  url,
  success: (r) => log(`connect:success ${r.errMsg} ${r.socketTaskId}`),
  fail: (r) => log(`connect:fail ${r.errMsg}`),
});
task.onOpen((e) => {
  log(`open rs=${task.readyState} protocol=${e.protocol}`);
  task.send({ data: 'bundle\u0000hello', success: (r) => log(`send ${r.errMsg}`) });
});
let got = 0;
task.onMessage(({ data }) => {
  if (typeof data === 'string') {
    log(`text ${JSON.stringify(data)}`);
    task.send({ data: new Uint8Array([1, 2, 3, 250]).buffer, success: (r) => log(`send ${r.errMsg}`) });
  } else {
    log(`binary ${Array.from(new Uint8Array(data)).join(',')}`);
  }
  if (++got === 2) task.close({ code: 4000, reason: 'done', success: (r) => log(`close ${r.errMsg}`) });
});
task.onError((e) => log(`error ${e.errMsg}`));
task.onClose((e) => {
  log(`closed ${e.code} ${e.reason} ${e.wasClean} rs=${task.readyState}`);
  result.done = true;
  window.__ttResult = result;
});
