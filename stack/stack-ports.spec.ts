import net from 'node:net';
import { findFreePort } from './free-port.js';
import { loadStackConfig } from './stack-config.js';
import { findPortClashes, stackPorts } from './stack-ports.js';

describe('stack ports', () => {
  it('lists every port the example listens on, PostgreSQL only when it is embedded', () => {
    const embedded = stackPorts(loadStackConfig({}));
    expect(embedded.map((port) => port.envVar)).toEqual([
      'STRANGLER_PG_PORT',
      'LEGACY_PORT',
      'CARDS_SERVICE_PORT',
      'SEARCH_SERVICE_PORT',
      'CARDS_EVENTS_PORT',
      'STRANGLER_PORT',
      'STRANGLER_ADMIN_PORT',
      'SYNC_METRICS_PORT',
      'CARDS_REVERSE_SYNC_METRICS_PORT',
      'SEARCH_SYNC_METRICS_PORT',
    ]);
    const existing = stackPorts(loadStackConfig({ STRANGLER_PG_URL: 'postgres://db:5432/x' }));
    expect(existing.map((port) => port.envVar)).not.toContain('STRANGLER_PG_PORT');
  });

  it('reports a port in use and a port wanted twice, naming what and the variable', async () => {
    const [free, taken] = [await findFreePort(), await findFreePort()];
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(taken, '127.0.0.1', resolve));
    try {
      const clashes = await findPortClashes([
        { port: free, what: 'the facade', envVar: 'STRANGLER_PORT' },
        { port: taken, what: 'legacy-monolith', envVar: 'LEGACY_PORT' },
        { port: free, what: 'cards-service', envVar: 'CARDS_SERVICE_PORT' },
      ]);
      expect(clashes).toEqual([
        `port ${taken}, wanted by legacy-monolith, is already in use; ` +
          'stop what uses it (an earlier npm start?) or set LEGACY_PORT to another port',
        `port ${free} is wanted twice: by the facade (STRANGLER_PORT) and by cards-service ` +
          '(CARDS_SERVICE_PORT); set one of them to another port',
      ]);
    } finally {
      blocker.close();
    }
  });
});
