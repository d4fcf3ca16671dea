import { SeededRandom } from './seeded-random.js';

describe('SeededRandom', () => {
  const draw = (seed: number) => {
    const random = new SeededRandom(seed);
    return Array.from({ length: 5 }, () => random.next());
  };

  it('repeats for the same seed and differs for another', () => {
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  it('stays in range', () => {
    const random = new SeededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const value = random.next();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
      const int = random.int(3, 5);
      expect(int).toBeGreaterThanOrEqual(3);
      expect(int).toBeLessThanOrEqual(5);
      expect(random.skewedIndex(10)).toBeLessThan(10);
    }
  });

  it('skews toward low indexes', () => {
    const random = new SeededRandom(1);
    const low = Array.from({ length: 2000 }, () => random.skewedIndex(100)).filter((i) => i < 25);
    expect(low.length).toBeGreaterThan(900);
  });

  it('picks dates inside the window, in whole milliseconds', () => {
    const random = new SeededRandom(3);
    const from = new Date('2025-01-01T00:00:00.000Z');
    const to = new Date('2025-02-01T00:00:00.000Z');
    const date = random.dateBetween(from, to);
    expect(date.getTime()).toBeGreaterThanOrEqual(from.getTime());
    expect(date.getTime()).toBeLessThanOrEqual(to.getTime());
    expect(Number.isInteger(date.getTime())).toBe(true);
  });
});
