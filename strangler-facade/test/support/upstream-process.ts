/**
 * An upstream that is a real child process, so an outage is a real one: SIGKILL drops every
 * connection the way a crashed service does (the kernel resets them), and a restart listens on
 * the same port again. It answers every request with a small JSON body naming itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const SERVER_SOURCE = `
const http = require('node:http');
const [name, port] = process.argv.slice(1);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ upstream: name, url: req.url }));
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

export interface UpstreamProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** SIGKILLs the process and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts a new process on the same port and waits until it listens. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startUpstreamProcess(name: string, port = 0): Promise<UpstreamProcess> {
  let child: ChildProcess | null = null;

  const start = async (onPort: number): Promise<number> => {
    const started = spawn(process.execPath, ['-e', SERVER_SOURCE, name, String(onPort)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = started;
    const stdout = started.stdout;
    if (stdout === null) throw new Error('upstream process has no stdout');
    const [line] = (await Promise.race([
      once(stdout, 'data'),
      once(started, 'exit').then(() => {
        throw new Error(`upstream process ${name} exited before listening`);
      }),
    ])) as [Buffer];
    const match = /listening (\d+)/.exec(line.toString());
    if (match === null) throw new Error(`upstream process ${name} said: ${line.toString()}`);
    return Number(match[1]);
  };

  const kill = async (): Promise<void> => {
    const running = child;
    child = null;
    if (running === null || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };

  const listening = await start(port);
  return {
    name,
    port: listening,
    url: `http://127.0.0.1:${listening}`,
    kill,
    restart: async () => {
      await start(listening);
    },
    close: kill,
  };
}
