import { request } from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

import { pino } from 'pino';

import { unusedPort } from './support/unused-port.js';
import { startFacade } from '../src/facade.js';
import { RulesLoadError } from '../src/rules/active-rules.js';
import { PROXY_CORES } from './support/proxy-cores.js';
import { startFacadeFixture, type FacadeFixture } from './support/facade-fixture.js';
import { eventually, send } from './support/http-client.js';

describe.each(PROXY_CORES)('%s core', (_core, createCore) => {
  describe('upstream failures', () => {
    let fixture: FacadeFixture;

    beforeAll(async () => {
      fixture = await startFacadeFixture({
        createCore,
        headersTimeoutMs: 300,
        connectTimeoutMs: 500,
      });
    });
    afterAll(() => fixture.close());

    it('answers 502 JSON at once when the upstream is down', async () => {
      const deadPort = await unusedPort();
      await fixture.writeRoutes(
        fixture
          .routesYaml('cards-service')
          .replace(fixture.cards.url, `http://127.0.0.1:${deadPort}`),
      );
      await eventually(() => (fixture.facade.currentRules().version >= 2 ? true : undefined));

      const reply = await send(fixture.facade.port, '/cards/1', {
        headers: { 'x-request-id': 'down-1' },
      });
      expect(reply.status).toBe(502);
      expect(reply.headers['content-type']).toMatch(/^application\/json/);
      expect(reply.headers['x-strangler-route']).toBe('cards-get-by-id');
      expect(reply.json()).toEqual({
        error: 'bad_gateway',
        message: `upstream "cards-service" (http://127.0.0.1:${deadPort}) refused the connection`,
        upstream: 'cards-service',
        requestId: 'down-1',
      });
      // the other routes are unaffected
      expect((await send(fixture.facade.port, '/cards')).status).toBe(200);
    });

    it('answers 504 JSON when the upstream sends no headers within the timeout', async () => {
      const reply = await send(fixture.facade.port, '/hang');
      expect(reply.status).toBe(504);
      expect(reply.json()).toMatchObject({
        error: 'gateway_timeout',
        upstream: 'legacy',
        requestId: reply.headers['x-request-id'],
      });
      expect(String(reply.json().message)).toMatch(/no response headers within 300 ms/);
    });

    it('aborts the upstream request when the client goes away before the response starts', async () => {
      // Its own facade with the default 30 s header timeout, so only the client abort can end it.
      const patient = await startFacadeFixture({ createCore });
      try {
        const req = request({
          host: '127.0.0.1',
          port: patient.facade.port,
          path: '/hang',
          agent: false,
        });
        req.on('error', () => undefined);
        req.end();
        await eventually(() => (patient.legacy.received.length > 0 ? true : undefined));
        req.destroy();
        await eventually(() => (patient.legacy.hangsAborted() > 0 ? true : undefined));
      } finally {
        await patient.close();
      }
    });

    it('aborts the upstream request when the client goes away mid-response', async () => {
      const before = fixture.legacy.streamsAborted();
      await new Promise<void>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port: fixture.facade.port, path: '/stream', agent: false },
          (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ECONNRESET') reject(error);
        });
        req.end();
      });
      await eventually(() => (fixture.legacy.streamsAborted() > before ? true : undefined));
    });
  });
});

describe('start-up', () => {
  it('fails fast with every validation message when the rules file is invalid', async () => {
    const fixture = await startFacadeFixture();
    try {
      const broken = path.join(fixture.directory, 'broken.yaml');
      await writeFile(broken, fixture.routesYaml('cards-svc'));
      const options = {
        routesFile: broken,
        port: 0,
        adminPort: 0,
        logger: pino({ level: 'silent' }),
        watch: false,
      } as const;
      const started = startFacade(options);
      await expect(started).rejects.toThrow(RulesLoadError);
      await expect(started).rejects.toThrow(
        /broken\.yaml:10:5 rules\[0\]\.upstream: unknown upstream "cards-svc"/,
      );
      await writeFile(broken, fixture.routesYaml().replace('version: 1', 'version: 2'));
      await expect(startFacade(options)).rejects.toThrow(
        /broken\.yaml:1:1 version: Invalid input: expected 1/,
      );
      await expect(
        startFacade({
          routesFile: path.join(fixture.directory, 'missing.yaml'),
          port: 0,
          adminPort: 0,
          watch: false,
        }),
      ).rejects.toThrow(/missing\.yaml: file not found/);
    } finally {
      await fixture.close();
    }
  });
});
