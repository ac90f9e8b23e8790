// A TypeScript game module written against the npm package's shipped types (index.d.ts). The bundle
// test type-checks it with `tsc --noEmit` inside a fresh project that installed the packed tarball;
// the @ts-expect-error lines fail the check if the types were missing or too loose (an unused
// directive is an error).
import createTTSocket, { SocketTask, TTSocketRuntime, CloseEvent, TTResult } from 'ttsocket-web';

export async function connect(url: string): Promise<SocketTask | null> {
  const tt: TTSocketRuntime = await createTTSocket();
  const version: string = tt.version();
  const status: number = tt.configure({ socketDomains: ['example.com'], connectTimeout: 5000 });
  const task = tt.connectSocket({
    url,
    protocols: ['game'],
    success: (r: TTResult) => console.log(version, status, r.errMsg, r.socketTaskId),
  });
  if (!task) return null;
  task.onOpen((e) => console.log(e.protocol, e.extensions));
  task.onMessage(({ data }) => {
    if (typeof data === 'string') task.send({ data: data.toUpperCase() });
    else task.send({ data: new Uint8Array(data) });
  });
  task.onClose((e: CloseEvent) => console.log(e.code, e.reason, e.wasClean, task.readyState));
  task.close({ code: 4000, reason: 'bye' });

  // @ts-expect-error url is required
  tt.connectSocket({ timeout: 1 });
  // @ts-expect-error data is a string, an ArrayBuffer or a view, not a number
  task.send({ data: 42 });
  // @ts-expect-error readyState is read-only
  task.readyState = 1;
  return task;
}
