/**
 * The sync benchmark's source-side workload: an insert/update/delete mix on a small-row or a
 * wide-row table, at a fixed rate (open loop: changes are due on a clock, grouped into
 * transactions, several connections in flight), plus heartbeat markers whose apply time in the
 * target gives the end-to-end lag.
 */
import pg from 'pg';

export type Shape = 'small' | 'wide';

/** Columns of the wide table besides id: 10 text, 6 numeric, 4 timestamptz, 4 int, 2 bool. */
const WIDE_TEXT = 10;

export function sourceSchemaSql(shape: Shape, table: string): string {
  if (shape === 'small') {
    return `CREATE TABLE ${table} (id bigint PRIMARY KEY, n int NOT NULL, label text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());`;
  }
  const cols = [
    ...Array.from({ length: WIDE_TEXT }, (_, i) => `t${i} text`),
    ...Array.from({ length: 6 }, (_, i) => `d${i} numeric(14,4)`),
    ...Array.from({ length: 4 }, (_, i) => `ts${i} timestamptz`),
    ...Array.from({ length: 4 }, (_, i) => `i${i} int`),
    'b0 bool',
    'b1 bool',
  ];
  return `CREATE TABLE ${table} (id bigint PRIMARY KEY, ${cols.join(', ')});`;
}

export const MARKER_SOURCE_SQL =
  'CREATE TABLE bench_marker (id bigint PRIMARY KEY, sent_at timestamptz NOT NULL DEFAULT clock_timestamp());';
/**
 * The target's copy records when the sync wrote it (a BEFORE trigger; the commit follows).
 * ENABLE ALWAYS: the Kafka apply sessions run with session_replication_role = replica, under
 * which ordinary triggers do not fire.
 */
export const MARKER_TARGET_SQL = `
  CREATE TABLE bench_marker (id bigint PRIMARY KEY, sent_at timestamptz NOT NULL, applied_at timestamptz);
  CREATE FUNCTION bench_marker_applied() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN NEW.applied_at := clock_timestamp(); RETURN NEW; END $$;
  CREATE TRIGGER bench_marker_applied BEFORE INSERT OR UPDATE ON bench_marker
    FOR EACH ROW EXECUTE FUNCTION bench_marker_applied();
  ALTER TABLE bench_marker ENABLE ALWAYS TRIGGER bench_marker_applied;`;

const WORD = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';

/** SQL VALUES tuple for row `id` (wide rows: ~1 KB, below the TOAST threshold). */
export function rowValues(shape: Shape, id: number, version: number): string {
  if (shape === 'small') return `(${id}, ${version}, 'label-${id}-${version}', now())`;
  const text = Array.from(
    { length: WIDE_TEXT },
    (_, i) => `'${WORD.slice(0, 40 + ((id + i) % 40))}${version}'`,
  );
  const nums = Array.from({ length: 6 }, (_, i) => `${(id * 7 + i + version) % 100000}.${i}25`);
  const ts = Array.from({ length: 4 }, (_, i) => `now() - interval '${i + (id % 50)} minutes'`);
  const ints = Array.from({ length: 4 }, (_, i) => `${(id + i * version) % 1000000}`);
  return `(${id}, ${[...text, ...nums, ...ts, ...ints, id % 2 === 0, version % 3 === 0].join(', ')})`;
}

export function updateSql(shape: Shape, table: string, id: number, version: number): string {
  if (shape === 'small')
    return `UPDATE ${table} SET n = ${version}, label = 'label-${id}-${version}', updated_at = now() WHERE id = ${id}`;
  return `UPDATE ${table} SET t0 = 'changed ${version}', d0 = ${version % 100000}.5, i0 = ${version % 1000000}, b1 = ${version % 2 === 0} WHERE id = ${id}`;
}

/** Inserts rows 1..count in one statement per 10 000 rows. */
export async function populate(
  client: pg.Client,
  shape: Shape,
  table: string,
  count: number,
): Promise<void> {
  for (let from = 1; from <= count; from += 10_000) {
    const to = Math.min(count, from + 9_999);
    const values: string[] = [];
    for (let id = from; id <= to; id++) values.push(rowValues(shape, id, 0));
    await client.query(`INSERT INTO ${table} VALUES ${values.join(',')}`);
  }
}

export interface Mix {
  insert: number;
  update: number;
  delete: number;
}

export interface StepResult {
  targetRate: number;
  durationSec: number;
  changes: number;
  transactions: number;
  achievedRate: number;
  counts: Mix;
  firstMarker: number;
  lastMarker: number;
}

/** Keeps the ids that exist, picks random ones, hands out new ones. */
export class LiveIds {
  private ids: number[];
  private next: number;
  constructor(count: number) {
    this.ids = Array.from({ length: count }, (_, i) => i + 1);
    this.next = count + 1;
  }
  fresh(): number {
    const id = this.next++;
    this.ids.push(id);
    return id;
  }
  /** A random live id; `remove` takes it out (for a delete). */
  pick(remove: boolean): number | null {
    if (this.ids.length === 0) return null;
    const i = Math.floor(Math.random() * this.ids.length);
    const id = this.ids[i];
    if (remove) {
      this.ids[i] = this.ids[this.ids.length - 1];
      this.ids.pop();
    }
    return id;
  }
}

export class Workload {
  private version = 1;
  private marker = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly markers: pg.Client,
    private readonly shape: Shape,
    private readonly table: string,
    private readonly live: LiveIds,
    private readonly mix: Mix,
    private readonly txSize: number,
    private readonly maxInFlight: number,
  ) {}

  /** Writes one heartbeat marker (its own transaction) and returns its id. */
  async mark(): Promise<number> {
    const id = ++this.marker;
    await this.markers.query(`INSERT INTO bench_marker (id) VALUES (${id})`);
    return id;
  }

  private statement(counts: Mix): string {
    const r = Math.random() * (this.mix.insert + this.mix.update + this.mix.delete);
    const v = this.version++;
    if (r >= this.mix.insert) {
      const isDelete = r >= this.mix.insert + this.mix.update;
      const id = this.live.pick(isDelete);
      if (id !== null) {
        if (isDelete) {
          counts.delete += 1;
          return `DELETE FROM ${this.table} WHERE id = ${id}`;
        }
        counts.update += 1;
        return updateSql(this.shape, this.table, id, v);
      }
    }
    counts.insert += 1;
    return `INSERT INTO ${this.table} VALUES ${rowValues(this.shape, this.live.fresh(), v)}`;
  }

  /**
   * Open loop at `rate` changes/s for `durationSec` (rate 0 = as fast as `maxInFlight`
   * connections go), a marker every `markerEveryMs`. Stops by itself at the end of the duration
   * or after `maxChanges`.
   */
  async run(
    rate: number,
    durationSec: number,
    markerEveryMs: number,
    maxChanges = Number.POSITIVE_INFINITY,
  ): Promise<StepResult> {
    const counts: Mix = { insert: 0, update: 0, delete: 0 };
    const start = performance.now();
    const endAt = start + durationSec * 1000;
    let issued = 0;
    let transactions = 0;
    let inFlight = 0;
    // Set from callbacks (an object, so the loop's narrowing does not assume it stays null).
    const failed: { error: Error | null } = { error: null };
    const firstMarker = await this.mark();
    let lastMarker = firstMarker;
    let nextMarkerAt = start + markerEveryMs;
    let markerBusy = false;
    const pending = new Set<Promise<void>>();
    while (failed.error === null) {
      const now = performance.now();
      if (now >= endAt || issued >= maxChanges) break;
      if (now >= nextMarkerAt && !markerBusy) {
        nextMarkerAt += markerEveryMs;
        markerBusy = true;
        void this.mark().then(
          (id) => {
            lastMarker = id;
            markerBusy = false;
          },
          (err: Error) => (failed.error = err),
        );
      }
      const due = Math.min(
        maxChanges,
        rate > 0 ? Math.floor(((now - start) / 1000) * rate) : issued + this.txSize,
      );
      if (due > issued && inFlight < this.maxInFlight) {
        const n = Math.min(this.txSize, due - issued);
        const sql = ['BEGIN'];
        for (let i = 0; i < n; i++) sql.push(this.statement(counts));
        sql.push('COMMIT');
        issued += n;
        inFlight += 1;
        transactions += 1;
        const p = this.pool.query(sql.join(';\n')).then(
          () => {
            inFlight -= 1;
          },
          (err: Error) => {
            inFlight -= 1;
            failed.error = err;
          },
        );
        const tracked: Promise<void> = p.finally(() => pending.delete(tracked));
        pending.add(tracked);
        continue;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    while (markerBusy) await new Promise((resolve) => setTimeout(resolve, 5));
    if (failed.error !== null) throw failed.error;
    const elapsed = (performance.now() - start) / 1000;
    lastMarker = await this.mark();
    return {
      targetRate: rate,
      durationSec: elapsed,
      changes: issued,
      transactions,
      achievedRate: issued / elapsed,
      counts,
      firstMarker,
      lastMarker,
    };
  }
}
