import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, type Admin, type Consumer, type logCreator } from 'kafkajs';

/** One Kafka record as the tier's consumer saw it, key and value parsed from JSON. */
export interface CapturedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: unknown;
  value: unknown;
  headers: Record<string, string>;
}

export interface Collector {
  messages: CapturedMessage[];
  onTopic(topic: string): CapturedMessage[];
  /** Resolves once `done()` holds; rejects after `timeoutMs` with what was seen so far. */
  waitUntil(what: string, done: () => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Creates `topics` (1 partition each) unless they exist and consumes them from the beginning
 * into memory until stop().
 */
export async function collectTopics(brokers: string[], topics: string[]): Promise<Collector> {
  const kafka = new Kafka({
    clientId: 'kafka-tier-collector',
    brokers,
    logLevel: logLevel.WARN,
    logCreator: quietLogCreator,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0)
      await admin.createTopics({
        topics: missing.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
        waitForLeaders: true,
      });
    await waitForGroupCoordinator(admin);
  } finally {
    await admin.disconnect();
  }

  const messages: CapturedMessage[] = [];
  const consumer: Consumer = kafka.consumer({
    groupId: `kafka-tier-${Date.now()}-${Math.random().toString(16).slice(2)}`,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [name, header] of Object.entries(message.headers ?? {}))
        headers[name] = Array.isArray(header) ? header.join(',') : String(header ?? '');
      messages.push({
        topic,
        partition,
        offset: message.offset,
        key: parseJson(message.key),
        value: parseJson(message.value),
        headers,
      });
    },
  });

  const onTopic = (topic: string) => messages.filter((m) => m.topic === topic);
  return {
    messages,
    onTopic,
    waitUntil: async (what, done, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline) {
          const counts = topics.map((t) => `${t}=${onTopic(t).length}`).join(' ');
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (seen: ${counts})`);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    stop: () => consumer.disconnect(),
  };
}

/** A fresh broker creates and loads __consumer_offsets on the first group request. */
async function waitForGroupCoordinator(admin: Admin, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await admin.describeGroups(['kafka-tier-warm-up']);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error('group coordinator not ready');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * kafkajs logs at ERROR level while the fresh broker creates __consumer_offsets ("group
 * coordinator is not available") although it retries; keep the rest.
 */
const quietLogCreator: logCreator =
  () =>
  ({ level, log }) => {
    const { message, error } = log as { message: string; error?: string };
    if (
      /coordinator is (not available|loading)|not the correct coordinator/i.test(`${error ?? ''}`)
    )
      return;
    if (/Restarting the consumer/.test(message)) return;
    const text = `[kafkajs] ${message}${error ? `: ${error}` : ''}`;
    if (level <= logLevel.ERROR) console.error(text);
    else console.warn(text);
  };

function parseJson(buffer: Buffer | null): unknown {
  if (buffer === null || buffer.length === 0) return null;
  return JSON.parse(buffer.toString('utf8'));
}

// --- fixtures ------------------------------------------------------------------------------

export const FIXTURES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A recorded run of the workload through real Debezium, as stored in fixtures/<name>.json. */
export interface EventFixture {
  description: string;
  recordedAt: string;
  versions: Record<string, string>;
  /** Connect properties of the connector that produced the events (password masked). */
  connector: Record<string, string>;
  /** Labels of workload.ts steps, snapshot phase first. */
  workload: { snapshot: string[]; streaming: string[] };
  /** The fields normalizeVolatile() replaces before fixtures are compared. */
  volatileFields: string[];
  /** Per topic, the records in offset order. */
  topics: Record<string, Array<Omit<CapturedMessage, 'topic' | 'partition'>>>;
}

export function readFixture(name: string): EventFixture | undefined {
  const file = path.join(FIXTURES_DIR, `${name}.json`);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as EventFixture;
}

/** Writes fixtures/<name>.json, formatted the way the repo's prettier check wants it. */
export async function writeFixture(name: string, fixture: EventFixture): Promise<string> {
  fs.mkdirSync(FIXTURES_DIR, { recursive: true });
  const file = path.join(FIXTURES_DIR, `${name}.json`);
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  fs.writeFileSync(
    file,
    await prettier.format(JSON.stringify(fixture), { ...options, filepath: file, parser: 'json' }),
  );
  return file;
}

/**
 * Fields whose values differ from run to run (WAL positions, transaction ids, clock readings,
 * the generated database name). Matched by field name anywhere in a key or value.
 */
export const VOLATILE_FIELDS = [
  'lsn',
  'txId',
  'xmin',
  'sequence',
  'ts_ms',
  'ts_us',
  'ts_ns',
  'db',
  '__lsn',
  '__txId',
  '__source_ts_ms',
  '__ts_ms',
  '__db',
  '__debezium.context.runId',
];

/** A copy of `value` with every VOLATILE_FIELDS value that is not null replaced by a marker. */
export function normalizeVolatile(value: unknown, fields = VOLATILE_FIELDS): unknown {
  if (Array.isArray(value)) return value.map((item) => normalizeVolatile(item, fields));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    out[key] =
      fields.includes(key) && inner !== null && typeof inner !== 'object'
        ? `<${typeof inner}>`
        : normalizeVolatile(inner, fields);
  }
  return out;
}
