import { createNodeHttpCore } from '../../src/proxy/forward-request-node.js';
import { createUndiciCore } from '../../src/proxy/forward-request.js';
import type { ProxyCore, ProxyCoreOptions } from '../../src/proxy/proxy-core.js';

/** Every proxy core the data-plane suites run against. */
export const PROXY_CORES: [string, (options: ProxyCoreOptions) => ProxyCore][] = [
  ['undici', createUndiciCore],
  ['node:http', createNodeHttpCore],
];
