import type { CompiledUpstream } from '../rules/compile-rules.js';
import { ConnectionSlots, UpstreamPools } from './upstream-connections.js';

const upstream = (name: string, max: number, origin = 'http://127.0.0.1:3001') =>
  ({ name, origin, connections: { max, queue: 2 } }) as CompiledUpstream;

describe('ConnectionSlots', () => {
  it('admits max + queue requests at once, and one more after a release', () => {
    const slots = new ConnectionSlots({ max: 2, queue: 1 });
    expect([1, 2, 3, 4].map(() => slots.tryTake())).toEqual([true, true, true, false]);
    slots.release();
    expect(slots.tryTake()).toBe(true);
  });
});

describe('UpstreamPools', () => {
  it('shares a pool per origin and cap, and retires the pools a reload no longer uses', () => {
    const created: string[] = [];
    const retired: string[] = [];
    const pools = new UpstreamPools<string>(
      (target) => {
        const pool = `${target.name}/${target.connections.max}#${created.length}`;
        created.push(pool);
        return pool;
      },
      (pool) => retired.push(pool),
    );
    const legacy = upstream('legacy', 2);
    const alias = upstream('admin', 2); // same origin, same cap
    expect(pools.for(alias).pool).toBe(pools.for(legacy).pool);
    expect(pools.for(legacy).slots).toBe(pools.for(alias).slots);

    const raised = upstream('legacy', 8); // a reload raised the cap
    const next = pools.for(raised);
    expect(next.pool).not.toBe(pools.for(legacy).pool);
    pools.retain([raised]);
    expect(retired).toEqual(['admin/2#0']); // the shared one, created for the alias
    // a request still on the old table gets a live pool, never the retired one
    expect(pools.for(legacy).pool).toBe('legacy/2#2');
    expect(pools.drain()).toEqual(['legacy/8#1', 'legacy/2#2']);
  });
});
