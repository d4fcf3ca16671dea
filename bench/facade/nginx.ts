/**
 * nginx configured like the facade's three rules, for bench/facade/run.ts: a plain
 * `proxy_pass` to a keep-alive upstream, a sticky 50 % `split_clients` on the same user-id header
 * the facade's canary uses, and `mirror` of every request to the candidate (the facade's shadow).
 * One worker process (the facade is one Node process); access log on (so is the facade's).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { sleep, waitFor } from '../common/environment.js';

export interface NginxPorts {
  plain: number;
  weighted: number;
  shadow: number;
}

export interface RunningNginx {
  version: string;
  ports: NginxPorts;
  /** CPU time (µs) of the master and its workers since they started. */
  cpuMicros(): number;
  stop(): Promise<void>;
}

/** The nginx binary's version line, or null when nginx is not installed. */
export function nginxVersion(): string | null {
  const r = spawnSync('nginx', ['-v'], { encoding: 'utf8', timeout: 5000 });
  if (r.error !== undefined) return null;
  const out = `${r.stdout}${r.stderr}`.trim();
  return out === '' ? null : out.replace(/^nginx version:\s*/, '');
}

export function nginxConfig(dir: string, upstreamPort: number, ports: NginxPorts): string {
  const common = `
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $proxy_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Request-Id $request_id;
      proxy_buffering on;`;
  return `
worker_processes 1;
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  upstream legacy { server 127.0.0.1:${upstreamPort}; keepalive 64; keepalive_requests 1000000; }
  upstream candidate { server 127.0.0.1:${upstreamPort}; keepalive 64; keepalive_requests 1000000; }
  split_clients "\${http_x_user_id}" $bench_pick { 50% candidate; * legacy; }
  server {
    listen 127.0.0.1:${ports.plain};
    location / { proxy_pass http://legacy; ${common} }
  }
  server {
    listen 127.0.0.1:${ports.weighted};
    location / { proxy_pass http://$bench_pick; ${common} }
  }
  server {
    listen 127.0.0.1:${ports.shadow};
    location / { mirror /__mirror; mirror_request_body on; proxy_pass http://legacy; ${common} }
    location = /__mirror { internal; proxy_pass http://candidate$request_uri; ${common}
      proxy_set_header X-Strangler-Shadow 1; }
  }
}
`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function procCpuMicros(pid: number, ticks: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[11] = utime, fields[12] = stime (fields 14 and 15 of proc(5))
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticks;
  } catch {
    return 0;
  }
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

export async function startNginx(dir: string, upstreamPort: number): Promise<RunningNginx> {
  const version = nginxVersion();
  if (version === null) throw new Error('nginx is not installed');
  mkdirSync(dir, { recursive: true });
  const ports: NginxPorts = {
    plain: await freePort(),
    weighted: await freePort(),
    shadow: await freePort(),
  };
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, upstreamPort, ports));
  const proc: ChildProcess = spawn('nginx', ['-p', dir, '-c', conf], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  let exited = false;
  proc.once('exit', () => (exited = true));
  await waitFor(
    'nginx to listen',
    async () => {
      if (exited) throw new Error(`nginx exited; see ${dir}/error.log`);
      return (
        (await portOpen(ports.plain)) &&
        (await portOpen(ports.weighted)) &&
        (await portOpen(ports.shadow))
      );
    },
    10_000,
  );
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
  const pid = proc.pid ?? 0;
  return {
    version,
    ports,
    cpuMicros: () => [pid, ...childPids(pid)].reduce((sum, p) => sum + procCpuMicros(p, ticks), 0),
    stop: async () => {
      if (exited) return;
      proc.kill('SIGQUIT');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) proc.kill('SIGKILL');
    },
  };
}
