import { INestApplication, INestMicroservice } from '@nestjs/common';
import type pg from 'pg';
import request from 'supertest';
import { findFreePort } from '../../../stack/free-port.js';
import type { PostgresCluster } from '../../../stack/postgres-cluster.js';
import { startTestPostgres } from '../../../test-support/database.js';
import { insertAuthor, TestAuthor } from './support/authors.factory.js';
import {
  CardsEventsRecording,
  RecordedEvent,
  startCardsEventsListener,
} from './support/cards-events.recorder.js';
import {
  createCardsDatabase,
  E2E_TIMEOUT_MS,
  sqlClient,
  startCardsService,
  testConfig,
} from './support/cards-test-env.js';

describe('cards-service events (@nestjs/microservices over TCP)', () => {
  let cluster: PostgresCluster;
  let db: pg.Pool;
  let app: INestApplication;
  let listener: INestMicroservice | undefined;
  let eventsPort: number;
  let recording: CardsEventsRecording;
  let ada: TestAuthor;
  let http: () => ReturnType<typeof request>;

  /** At arrival, is the card row visible to another connection? (Published after commit.) */
  const cardRowExists = async (event: RecordedEvent) => {
    const { rowCount } = await db.query('SELECT 1 FROM cards WHERE id = $1', [event.data.id]);
    return rowCount === 1;
  };

  beforeAll(async () => {
    cluster = await startTestPostgres('cards-events');
    const url = await createCardsDatabase(cluster);
    db = sqlClient(url);
    eventsPort = await findFreePort();
    recording = new CardsEventsRecording(cardRowExists);
    listener = await startCardsEventsListener(eventsPort, recording);
    app = await startCardsService(await testConfig(url, eventsPort));
    const server = app.getHttpServer();
    http = () => request(server);
    ada = await insertAuthor(db, { handle: 'ada', displayName: 'Ada' });
  }, E2E_TIMEOUT_MS);

  afterAll(async () => {
    await app?.close();
    await listener?.close();
    await db?.end();
    await cluster?.stop();
  }, E2E_TIMEOUT_MS);

  it('publishes card.created, card.updated and card.deleted after each commit', async () => {
    const created = await http()
      .post('/cards')
      .set('Authorization', ada.bearer)
      .send({ title: 'Evented', body: 'b', tags: ['x'] })
      .expect(201);
    const id = created.body.id as string;
    const updated = await http()
      .patch(`/cards/${id}`)
      .set('Authorization', ada.bearer)
      .send({ title: 'Evented again' })
      .expect(200);
    await http().delete(`/cards/${id}`).set('Authorization', ada.bearer).expect(204);

    const [onCreate, onUpdate, onDelete] = await recording.waitFor(3);
    expect(onCreate.pattern).toBe('card.created');
    expect(onCreate.observed).toBe(true);
    expect(Object.keys(onCreate.data)).toEqual([...Object.keys(created.body), 'occurredAt']);
    expect(onCreate.data).toEqual({ ...created.body, occurredAt: expect.any(String) });
    expect(new Date(onCreate.data.occurredAt as string).toISOString()).toBe(
      onCreate.data.occurredAt,
    );

    expect(onUpdate.pattern).toBe('card.updated');
    expect(onUpdate.data).toEqual({ ...updated.body, occurredAt: expect.any(String) });

    expect(onDelete.pattern).toBe('card.deleted');
    expect(onDelete.data).toEqual({ id, occurredAt: expect.any(String) });
    expect(onDelete.observed).toBe(false);
  });

  it('keeps serving writes while nothing listens, and publishes again once a listener is back', async () => {
    await listener?.close();
    listener = undefined;
    const before = recording.events.length;

    const started = Date.now();
    for (let i = 0; i < 3; i++) {
      await http()
        .post('/cards')
        .set('Authorization', ada.bearer)
        .send({ title: `Unheard ${i}`, body: 'b' })
        .expect(201);
    }
    expect(Date.now() - started).toBeLessThan(2_000);

    listener = await startCardsEventsListener(eventsPort, recording);
    const heard = await http()
      .post('/cards')
      .set('Authorization', ada.bearer)
      .send({ title: 'Heard', body: 'b' })
      .expect(201);
    const events = await recording.waitFor(before + 1);
    expect(events[before].data.id).toBe(heard.body.id);
  });
});
