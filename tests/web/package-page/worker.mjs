// The npm package in a module worker (no window, no document), as a game that keeps its networking off
// the page's thread loads it: package.test.mjs posts an echo server's URL and gets the task's callbacks.
import createTTSocket from '/pkg/index.js';

const tt = await createTTSocket();
tt.configure({ skipDomainCheck: true });
self.onmessage = ({ data: url }) => {
  const log = [];
  const task = tt.connectSocket({ url, success: (r) => log.push(`connect:${r.errMsg}`),
    complete: () => log.push('connect:complete') });
  task.onOpen(() => { log.push('open'); task.send({ data: 'in a worker' }); });
  task.onMessage(({ data }) => { log.push(`message ${JSON.stringify(data)}`); task.close({ reason: 'done' }); });
  task.onError((e) => log.push(`error ${e.errMsg}`));
  task.onClose((e) => {
    log.push(`close ${e.code} ${JSON.stringify(e.reason)} ${e.wasClean}`);
    self.postMessage(log);
  });
};
self.postMessage('ready');
