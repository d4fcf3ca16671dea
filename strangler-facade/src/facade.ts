/**
 * The programmatic API: start the data plane and the admin plane over one rules file, watch the
 * file, and hand back handles. `main.ts` (the process entry), the stack runner and the e2e tests
 * all start the facade through `startFacade`.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

import { pino, type Logger } from 'pino';

import { createAdminServer, type AdminTimeouts } from './admin/admin-server.js';
import type { FacadeConfig } from './config/facade-config.js';
import { FacadeMetrics } from './observability/metrics.js';
import { createUndiciCore } from './proxy/forward-request.js';
import type { ProxyCore, ProxyCoreOptions } from './proxy/proxy-core.js';
import { applyServerLimits, createProxyServer } from './proxy/proxy-server.js';
import { OpenTunnels } from './proxy/upgrade-tunnel.js';
import { CircuitBreakers } from './resilience/circuit-breaker.js';
import { RetryBudgets } from './resilience/retry-budget.js';
import { RolloutController } from './rollout/rollout-controller.js';
import { editRulesFile } from './rules-edit/index.js';
import { ShadowDispatcher } from './shadow/shadow-dispatcher.js';
import { ShadowRecorder } from './shadow/shadow-recorder.js';
import {
  ActiveRules,
  type ActiveRulesEvents,
  type LoadedRules,
  type ReloadError,
  type ReloadOutcome,
} from './rules/active-rules.js';
import type { CompiledRuleTable } from './rules/compile-rules.js';
import { overrideWarning, upstreamOverrides } from './rules/upstream-overrides.js';
import { watchRules } from './rules/watch-rules.js';

export interface FacadeOptions {
  /** Path of routes.yaml. Relative paths resolve against the working directory. */
  readonly routesFile: string;
  /** Listen address of both planes. Default 127.0.0.1. */
  readonly host?: string;
  /** Data-plane port; 0 picks a free one. Default 8080. */
  readonly port?: number;
  /** Admin-plane port; 0 picks a free one. Default 8081. */
  readonly adminPort?: number;
  /** False forces X-Strangler-Route/-Upstream off (routes.yaml `settings.routeHeaders` also can). */
  readonly routeHeaders?: boolean;
  readonly connectTimeoutMs?: number;
  readonly headersTimeoutMs?: number;
  readonly bodyTimeoutMs?: number;
  /**
   * Rules content must read the same twice this far apart before it is loaded, so a file written
   * in place is never served half-way (default 300; 0 reads once). Applies to every reload.
   */
  readonly reloadSettleMs?: number;
  /** Debounce of file events and interval of the stat poll; `false` turns watching off. */
  readonly watch?: { readonly debounceMs?: number; readonly pollIntervalMs?: number } | false;
  /** Source of `STRANGLER_UPSTREAM_<NAME>_URL` overrides. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly logger?: Logger;
  /** Swap the proxy core (benchmarks); default the undici core. */
  readonly createCore?: (options: ProxyCoreOptions) => ProxyCore;
  /** How long `close()` lets in-flight requests finish before cutting them. Default 5000. */
  readonly shutdownGraceMs?: number;
  /** Admin bearer token for reads and changes (STRANGLER_ADMIN_TOKEN). */
  readonly adminToken?: string;
  /** Admin bearer token for reads only (STRANGLER_ADMIN_READ_TOKEN). Without either token the
   * admin plane answers only `/health`. */
  readonly adminReadToken?: string;
  /** Client time limits of the admin listener (tests shorten them). */
  readonly adminTimeouts?: Partial<AdminTimeouts>;
  /** One structured log line per request (default true). */
  readonly accessLog?: boolean;
  /** Process metrics (CPU, memory, event loop) in /metrics too. Default false. */
  readonly processMetrics?: boolean;
  /** Shadow copies: in flight at once, queued before dropping, per-request timeout. */
  readonly shadow?: {
    readonly concurrency?: number;
    readonly maxQueue?: number;
    readonly timeoutMs?: number;
  };
  /** Staged rollouts: how often decisions are made (0 = only via `rolloutTick()`). Default 1000. */
  readonly rolloutTickMs?: number;
  /** Clock of the rollout controller (tests). */
  readonly now?: () => number;
}

export interface RunningFacade {
  readonly host: string;
  readonly port: number;
  readonly adminPort: number;
  /** `http://host:port` of the data plane. */
  readonly url: string;
  readonly adminUrl: string;
  /** The rules snapshot in service (table, version, hash, loadedAt). */
  currentRules(): LoadedRules;
  lastReloadError(): ReloadError | null;
  /** Re-reads the rules file now (the watcher does this on its own). */
  reload(): Promise<ReloadOutcome>;
  readonly metrics: FacadeMetrics;
  readonly shadowRecorder: ShadowRecorder;
  /** Resolves when no shadow copy is queued or in flight. */
  shadowIdle(): Promise<void>;
  /** One round of rollout decisions now. */
  rolloutTick(): Promise<void>;
  close(): Promise<void>;
}

/** Options for `startFacade` from the validated environment (`facadeConfigFromEnv`). */
export function facadeOptionsFromConfig(config: FacadeConfig): FacadeOptions {
  return {
    routesFile: config.routesFile,
    host: config.host,
    port: config.port,
    adminPort: config.adminPort,
    routeHeaders: config.routeHeaders,
    connectTimeoutMs: config.connectTimeoutMs,
    headersTimeoutMs: config.headersTimeoutMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    watch: { debounceMs: config.reloadDebounceMs, pollIntervalMs: config.reloadPollMs },
    reloadSettleMs: config.reloadSettleMs,
    ...(config.adminToken !== undefined && { adminToken: config.adminToken }),
    ...(config.adminReadToken !== undefined && { adminReadToken: config.adminReadToken }),
    accessLog: config.accessLog,
    processMetrics: true,
  };
}

export async function startFacade(options: FacadeOptions): Promise<RunningFacade> {
  const logger = options.logger ?? pino({ name: 'strangler-facade' });
  const host = options.host ?? '127.0.0.1';
  const sourceName = displayName(options.routesFile);
  const coreOptions: ProxyCoreOptions = {
    connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
    headersTimeoutMs: options.headersTimeoutMs ?? 30_000,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 60_000,
  };
  const core = (options.createCore ?? createUndiciCore)(coreOptions);
  const metrics = new FacadeMetrics({ defaultMetrics: options.processMetrics === true });
  const tunnels = new OpenTunnels(metrics, options.accessLog === false ? null : logger);
  let proxy: Server | null = null;
  let rolloutController: RolloutController | null = null;
  const warnOverriddenUpstreams = (table: CompiledRuleTable): void => {
    for (const override of upstreamOverrides(table)) {
      logger.warn({ ...override }, overrideWarning(override, sourceName));
    }
  };
  const rulesEvents: ActiveRulesEvents = {
    onLoaded: (loaded) => {
      logger.info(
        { version: loaded.version, hash: loaded.hash },
        `rules reloaded from ${sourceName}`,
      );
      warnOverriddenUpstreams(loaded.table);
      metrics.reloads.labels('loaded').inc();
      metrics.rulesVersion.set(loaded.version);
      core.retainUpstreams?.(loaded.table.upstreams);
      if (proxy !== null) applyServerLimits(proxy, loaded.table);
      tunnels.review(loaded.table);
      rolloutController?.syncWithRules();
    },
    onRefused: (error) => {
      metrics.reloads.labels('refused').inc();
      logger.error(
        { errors: error.errors, hash: error.hash },
        `rules change REFUSED, still serving the last good rules:\n  ${error.errors.join('\n  ')}`,
      );
    },
  };
  const rules = await ActiveRules.load(
    options.routesFile,
    sourceName,
    options.env ?? process.env,
    rulesEvents,
    options.reloadSettleMs !== undefined ? { settleMs: options.reloadSettleMs } : {},
  );
  metrics.rulesVersion.set(rules.current.version);
  warnOverriddenUpstreams(rules.current.table);

  const breakers = new CircuitBreakers((breaker, from) => {
    metrics.circuitChanged(breaker.upstream, breaker.state);
    logger.warn(
      { upstream: breaker.upstream, from, to: breaker.state },
      `circuit of upstream "${breaker.upstream}": ${from} → ${breaker.state}`,
    );
  });
  const recorder = new ShadowRecorder(metrics);
  const dispatcher = new ShadowDispatcher({ recorder, metrics, logger, ...options.shadow });
  const rollout = new RolloutController({
    rules,
    recorder,
    metrics,
    logger,
    tickMs: options.rolloutTickMs ?? 1_000,
    ...(options.now !== undefined && { now: options.now }),
    writePercent: async (rule, percent) => {
      await editRulesFile(rules.file, (editor) => editor.setCanaryPercent(rule, percent), {
        sourceName,
      });
      await rules.reload();
    },
  });

  rolloutController = rollout;
  rollout.syncWithRules();
  proxy = createProxyServer({
    rules,
    core,
    routeHeaders: options.routeHeaders ?? true,
    logger,
    metrics,
    breakers,
    retryBudgets: new RetryBudgets(),
    shadow: dispatcher,
    rollout,
    accessLog: options.accessLog ?? true,
    upgrades: { tunnels, timeouts: coreOptions },
  });
  const admin = createAdminServer({
    rules,
    tokens: { write: options.adminToken, read: options.adminReadToken },
    ...(options.adminTimeouts !== undefined && { timeouts: options.adminTimeouts }),
    metrics,
    breakers,
    recorder,
    dispatcher,
    rollout,
  });

  if (!options.adminToken && !options.adminReadToken) {
    logger.warn('admin plane locked: set STRANGLER_ADMIN_TOKEN (or STRANGLER_ADMIN_READ_TOKEN)');
  }
  try {
    await listen(proxy, options.port ?? 8080, host);
    await listen(admin, options.adminPort ?? 8081, host);
  } catch (error) {
    proxy.close();
    admin.close();
    rollout.close();
    await dispatcher.close();
    await core.close();
    throw error;
  }
  const server = proxy;

  const watcher =
    options.watch === false
      ? null
      : watchRules(options.routesFile, {
          debounceMs: options.watch?.debounceMs ?? 100,
          pollIntervalMs: options.watch?.pollIntervalMs ?? 500,
          onChange: () => void rules.reload(),
          onWatchError: (error) =>
            logger.warn({ err: error }, 'rules file watcher failed; polling only'),
        });

  const port = (server.address() as AddressInfo).port;
  const adminPort = (admin.address() as AddressInfo).port;
  let closing: Promise<void> | null = null;

  return {
    host,
    port,
    adminPort,
    url: `http://${host}:${port}`,
    adminUrl: `http://${host}:${adminPort}`,
    currentRules: () => rules.current,
    lastReloadError: () => rules.lastError,
    reload: () => rules.reload(),
    metrics,
    shadowRecorder: recorder,
    shadowIdle: () => dispatcher.idle(),
    rolloutTick: () => rollout.tick(),
    close() {
      closing ??= (async () => {
        watcher?.close();
        rollout.close();
        await Promise.all([
          stop(server, options.shutdownGraceMs ?? 5_000),
          stop(admin, options.shutdownGraceMs ?? 5_000),
          tunnels.closeAll(options.shutdownGraceMs ?? 5_000), // the server waits for them
        ]);
        await dispatcher.close();
        await core.close();
      })();
      return closing;
    },
  };
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = typeof code === 'string' ? code : String(error);
    throw new Error(`cannot listen on ${host}:${port}: ${reason}`, { cause: error });
  }
}

/** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
async function stop(server: Server, graceMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), graceMs);
  timer.unref();
  await closed;
  clearTimeout(timer);
}

function displayName(file: string): string {
  const relative = path.relative(process.cwd(), path.resolve(file));
  return relative !== '' && !relative.startsWith('..') ? relative : file;
}
