import { readFileSync } from 'node:fs';
import path from 'node:path';

import { startFacadeFixture, type FacadeFixture } from './support/facade-fixture.js';
import { send } from './support/http-client.js';

describe('admin plane', () => {
  let fixture: FacadeFixture;
  beforeAll(async () => {
    fixture = await startFacadeFixture();
  });
  afterAll(() => fixture.close());

  it('listens on its own port', () => {
    expect(fixture.facade.adminPort).not.toBe(fixture.facade.port);
  });

  it('GET /health', async () => {
    const reply = await send(fixture.facade.adminPort, '/health');
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ status: 'ok' });
  });

  it('GET /rules lists the compiled rules in order with their upstreams, file, version and loadedAt', async () => {
    const body = (await send(fixture.facade.adminPort, '/rules')).json();
    expect(body).toMatchObject({
      file: fixture.routesFile,
      version: 1,
      hash: expect.stringMatching(/^[0-9a-f]{16}$/),
      loadedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      rules: [
        {
          name: 'cards-get-by-id',
          methods: ['GET', 'HEAD'],
          path: '/cards/:id',
          upstream: 'legacy',
          upstreamUrl: fixture.legacy.url,
        },
        {
          name: 'cards',
          methods: null,
          prefix: '/cards',
          upstream: 'legacy',
          upstreamUrl: fixture.legacy.url,
        },
      ],
      default: { name: 'default', upstream: 'legacy', upstreamUrl: fixture.legacy.url },
    });
  });

  it('GET /status reports version, last reload error and upstreams', async () => {
    expect((await send(fixture.facade.adminPort, '/status')).json()).toMatchObject({
      version: 1,
      lastReloadError: null,
      upstreams: [
        { name: 'legacy', url: fixture.legacy.url, source: 'file' },
        { name: 'cards-service', url: fixture.cards.url, source: 'file' },
      ],
    });
  });

  it('GET /schema serves the published JSON Schema', async () => {
    const committed: unknown = JSON.parse(
      readFileSync(path.join(import.meta.dirname, '../routes.schema.json'), 'utf8'),
    );
    expect((await send(fixture.facade.adminPort, '/schema')).json()).toEqual(committed);
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    expect((await send(fixture.facade.adminPort, '/nope')).status).toBe(404);
    expect((await send(fixture.facade.adminPort, '/rules', { method: 'POST' })).status).toBe(405);
  });
});
