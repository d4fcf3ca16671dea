/**
 * Tunnels over real loopback socket pairs: bytes both ways, one close with one reason, idle
 * timeout, re-routing after a reload, shutdown.
 */
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';

import { compileRules, type CompiledRuleTable } from '../rules/compile-rules.js';
import { routesFileSchema } from '../rules/rule-schema.js';
import {
  OpenTunnels,
  Tunnel,
  type TunnelCloseReason,
  type TunnelOrigin,
} from './upgrade-tunnel.js';

/** Two connected sockets: [the far end, the near end]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const far = connect((server.address() as { port: number }).port, '127.0.0.1');
  const [near] = await accepted;
  await once(far, 'connect');
  server.close();
  return [far, near];
}

function table(chatUpstream: string, rerouteGraceMs = 30): CompiledRuleTable {
  const compiled = compileRules(
    routesFileSchema.parse({
      version: 1,
      settings: { upgrades: { rerouteGraceMs } },
      upstreams: {
        legacy: { url: 'http://127.0.0.1:3001' },
        'cards-service': { url: 'http://127.0.0.1:3002' },
      },
      rules: [{ name: 'chat', match: { prefix: '/socket/chat' }, upstream: chatUpstream }],
      default: { upstream: 'legacy' },
    }),
  );
  if (!compiled.ok) throw new Error(compiled.errors.join('\n'));
  return compiled.table;
}

function originOn(routes: CompiledRuleTable): TunnelOrigin {
  const legacy = routes.upstreams.find((upstream) => upstream.name === 'legacy');
  if (legacy === undefined) throw new Error('no legacy');
  return {
    requestId: 'r1',
    rule: 'chat',
    upstream: legacy,
    routedTo: legacy,
    path: '/socket/chat',
    search: '',
    headers: {},
    clientAddress: '127.0.0.1',
  };
}

interface Ends {
  /** The user's end of the client connection. */
  user: Socket;
  /** The upstream app's end of the upstream connection. */
  app: Socket;
  tunnel: Tunnel;
  reasons: TunnelCloseReason[];
}

const open: Socket[] = [];
afterEach(() => {
  for (const socket of open.splice(0)) socket.destroy();
});

async function tunnelled(idleTimeoutMs = 10_000, tunnels?: OpenTunnels): Promise<Ends> {
  const [user, client] = await socketPair();
  const [app, upstream] = await socketPair();
  open.push(user, client, app, upstream);
  const reasons: TunnelCloseReason[] = [];
  const origin = originOn(table('legacy'));
  const tunnel =
    tunnels?.open(client, upstream, origin, idleTimeoutMs) ??
    new Tunnel(client, upstream, origin, idleTimeoutMs, (_tunnel, reason) => reasons.push(reason));
  return { user, app, tunnel, reasons };
}

async function read(socket: Socket): Promise<string> {
  const [chunk] = (await once(socket, 'data')) as [Buffer];
  return chunk.toString('utf8');
}

describe('Tunnel', () => {
  it('pipes bytes both ways and closes once, with the side that ended first', async () => {
    const { user, app, tunnel, reasons } = await tunnelled();
    user.write('ping');
    expect(await read(app)).toBe('ping');
    app.write('pong');
    expect(await read(user)).toBe('pong');
    user.resume();
    const userEnded = once(user, 'end');
    app.end();
    await userEnded;
    await tunnel.closed();
    expect(reasons).toEqual(['upstream']);
    expect(tunnel.closeReason).toBe('upstream');
  });

  it('closes both connections when no byte flowed for the idle timeout', async () => {
    const { user, app, tunnel, reasons } = await tunnelled(50);
    user.resume();
    app.resume();
    await Promise.all([once(user, 'end'), once(app, 'end')]);
    await tunnel.closed();
    expect(reasons).toEqual(['idle']);
  });
});

describe('OpenTunnels', () => {
  it('after a reload, closes a tunnel routed elsewhere once the grace has passed', async () => {
    const tunnels = new OpenTunnels(null, null);
    const { user, tunnel } = await tunnelled(10_000, tunnels);
    user.resume();
    tunnels.review(table('cards-service', 30));
    expect(tunnel.closeReason).toBeNull(); // not before the grace
    await tunnel.closed();
    expect(tunnel.closeReason).toBe('rerouted');
    expect(tunnels.size).toBe(0);
  });

  it('keeps a tunnel the new rules still route to its upstream, or route back within the grace', async () => {
    const tunnels = new OpenTunnels(null, null);
    const { user, app, tunnel } = await tunnelled(10_000, tunnels);
    tunnels.review(table('legacy', 30));
    tunnels.review(table('cards-service', 30));
    tunnels.review(table('legacy', 30));
    await new Promise((resolve) => setTimeout(resolve, 80)); // past the grace
    expect(tunnel.closeReason).toBeNull();
    user.write('still');
    expect(await read(app)).toBe('still');
    expect(tunnels.size).toBe(1);
  });

  it('closeAll closes every tunnel and resolves when their sockets have closed', async () => {
    const tunnels = new OpenTunnels(null, null);
    const first = await tunnelled(10_000, tunnels);
    const second = await tunnelled(10_000, tunnels);
    for (const ends of [first, second]) {
      ends.user.resume();
      ends.app.resume();
    }
    await tunnels.closeAll(5_000);
    expect(tunnels.closing).toBe(true);
    expect(tunnels.size).toBe(0);
    expect([first.tunnel.closeReason, second.tunnel.closeReason]).toEqual(['shutdown', 'shutdown']);
  });
});
