/**
 * Tunnels: after the upstream answered 101 Switching Protocols, the client's socket and the
 * upstream's are piped both ways. The facade does not parse what flows (WebSocket frames or any
 * other upgraded protocol); it only watches for idleness. Invariants:
 *
 *   - a tunnel is counted open from its 101 until its `close`, once, with one reason;
 *   - closing ends both TCP connections (FIN, after bytes already read are passed on) and
 *     destroys what has not closed `graceMs` later. Without parsing frames the facade cannot
 *     send a WebSocket close frame, so a client sees code 1006 and reconnects;
 *   - no byte flows in either direction for `settings.upgrades.idleTimeoutMs` → closed (`idle`);
 *   - a rules reload keeps a tunnel open while the new rules still route its upgrade request to
 *     the same upstream; one they route elsewhere is closed `rerouteGraceMs` later (`rerouted`),
 *     and its client's reconnect lands on the new side. A reload that routes it back within the
 *     grace keeps it.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

import type { Logger } from 'pino';

import type { FacadeMetrics } from '../observability/metrics.js';
import type { CompiledRuleTable, CompiledUpstream, RouteTarget } from '../rules/compile-rules.js';
import { routeRequest, type RoutedRequest } from './request-passes.js';

export type TunnelCloseReason = 'client' | 'upstream' | 'idle' | 'rerouted' | 'shutdown' | 'error';

/** How long a closing tunnel's sockets may take to finish before they are destroyed. */
export const TUNNEL_CLOSE_GRACE_MS = 5_000;

/** The upgrade request a tunnel was opened for, kept so a reload can route it again. */
export interface TunnelOrigin {
  readonly requestId: string;
  readonly rule: string;
  /** Where the tunnel goes (the primary when the canary's circuit was open). */
  readonly upstream: CompiledUpstream;
  /** Where the rules sent the upgrade; a reload compares its own choice with this one. */
  readonly routedTo: CompiledUpstream;
  /** Normalised path, without the query. */
  readonly path: string;
  readonly search: string;
  readonly headers: IncomingHttpHeaders;
  readonly clientAddress: string;
}

export class Tunnel {
  readonly openedAt = performance.now();
  #closeReason: TunnelCloseReason | null = null;
  #rerouteTimer: NodeJS.Timeout | null = null;
  #open = 2;
  readonly #closed: Promise<void>;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    readonly origin: TunnelOrigin,
    idleTimeoutMs: number,
    private readonly onClose: (tunnel: Tunnel, reason: TunnelCloseReason) => void,
  ) {
    let allClosed: () => void = () => undefined;
    this.#closed = new Promise((resolve) => (allClosed = resolve));
    const closed = (): void => {
      this.#open -= 1;
      if (this.#open === 0) allClosed();
    };
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.setTimeout(idleTimeoutMs, () => this.close('idle'));
    client.once('end', () => this.close('client'));
    upstream.once('end', () => this.close('upstream'));
    client.on('error', () => this.#destroy('error'));
    upstream.on('error', () => this.#destroy('error'));
    client.once('close', () => {
      closed();
      this.close('client');
    });
    upstream.once('close', () => {
      closed();
      this.close('upstream');
    });
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Null while open. */
  get closeReason(): TunnelCloseReason | null {
    return this.#closeReason;
  }

  /** Resolves when both sockets have closed. */
  closed(): Promise<void> {
    return this.#closed;
  }

  /** Ends both connections; whatever has not closed `graceMs` later is destroyed. */
  close(reason: TunnelCloseReason, graceMs = TUNNEL_CLOSE_GRACE_MS): void {
    if (this.#closeReason !== null) return;
    this.#closeReason = reason;
    this.cancelReroute();
    this.client.setTimeout(0);
    this.client.end();
    this.upstream.end();
    if (this.#open > 0) {
      const cut = setTimeout(() => this.#destroy(reason), graceMs);
      cut.unref();
      void this.#closed.then(() => clearTimeout(cut));
    }
    this.onClose(this, reason);
  }

  /** Closes the tunnel `graceMs` from now unless `cancelReroute` comes first. */
  closeRerouted(graceMs: number): void {
    if (this.#closeReason !== null || this.#rerouteTimer !== null) return;
    this.#rerouteTimer = setTimeout(() => this.close('rerouted'), graceMs);
    this.#rerouteTimer.unref();
  }

  cancelReroute(): void {
    if (this.#rerouteTimer === null) return;
    clearTimeout(this.#rerouteTimer);
    this.#rerouteTimer = null;
  }

  #destroy(reason: TunnelCloseReason): void {
    this.close(reason);
    this.client.destroy();
    this.upstream.destroy();
  }
}

/** A pending upgrade (connecting to the upstream) that shutdown can cancel. */
export interface PendingUpgrade {
  cancel(): void;
}

/** Every open tunnel of one facade: for the gauge, reloads and shutdown. */
export class OpenTunnels {
  readonly #tunnels = new Set<Tunnel>();
  readonly #pending = new Set<PendingUpgrade>();
  #closing = false;

  constructor(
    private readonly metrics: FacadeMetrics | null,
    private readonly logger: Logger | null,
  ) {}

  get size(): number {
    return this.#tunnels.size;
  }

  /** True once `closeAll` ran: new upgrades are refused. */
  get closing(): boolean {
    return this.#closing;
  }

  open(client: Socket, upstream: Socket, origin: TunnelOrigin, idleTimeoutMs: number): Tunnel {
    const tunnel = new Tunnel(client, upstream, origin, idleTimeoutMs, (closed, reason) =>
      this.#closed(closed, reason),
    );
    this.#tunnels.add(tunnel);
    this.metrics?.tunnelsOpen.labels(origin.rule, origin.upstream.name).inc();
    return tunnel;
  }

  /** Registers an upgrade waiting for its upstream; call the returned function when it is done. */
  pending(upgrade: PendingUpgrade): () => void {
    this.#pending.add(upgrade);
    return () => this.#pending.delete(upgrade);
  }

  /**
   * After a reload: routes each tunnel's upgrade request again with `table`. A tunnel whose
   * upgrade would now go to another upstream (name or URL) is closed after
   * `settings.upgrades.rerouteGraceMs`; one routed back meanwhile stays.
   */
  review(table: CompiledRuleTable): void {
    const graceMs = table.settings.upgrades.rerouteGraceMs;
    const routed: RoutedRequest = {
      route: null as RouteTarget | null,
      upstream: null as unknown as CompiledUpstream,
      canary: false,
      bucket: -1,
      forced: false,
    };
    for (const tunnel of this.#tunnels) {
      const origin = tunnel.origin;
      routeRequest(
        table,
        'GET',
        origin.path,
        origin.search,
        origin.headers,
        origin.clientAddress,
        routed,
      );
      const same =
        routed.upstream.name === origin.routedTo.name &&
        routed.upstream.origin === origin.routedTo.origin;
      if (same) tunnel.cancelReroute();
      else tunnel.closeRerouted(graceMs);
    }
  }

  /**
   * Shutdown: refuses new upgrades, cancels pending ones, closes every tunnel; resolves when all
   * sockets closed (at the latest `graceMs` later, when the rest are destroyed).
   */
  async closeAll(graceMs: number): Promise<void> {
    this.#closing = true;
    for (const upgrade of this.#pending) upgrade.cancel();
    this.#pending.clear();
    const closing = [...this.#tunnels].map((tunnel) => {
      tunnel.close('shutdown', graceMs);
      return tunnel.closed();
    });
    await Promise.all(closing);
  }

  #closed(tunnel: Tunnel, reason: TunnelCloseReason): void {
    this.#tunnels.delete(tunnel);
    const { rule, upstream, requestId } = tunnel.origin;
    this.metrics?.tunnelsOpen.labels(rule, upstream.name).dec();
    this.metrics?.tunnelsClosed.labels(rule, upstream.name, reason).inc();
    this.logger?.info(
      {
        requestId,
        rule,
        upstream: upstream.name,
        reason,
        durationMs: Math.round(performance.now() - tunnel.openedAt),
        bytesFromClient: tunnel.client.bytesRead,
        bytesFromUpstream: tunnel.upstream.bytesRead,
      },
      'tunnel closed',
    );
  }
}
