/** Parsing of the sync benchmark's list options, with errors that name the option. */
import type { Shape } from './workload.js';

const SHAPES: readonly Shape[] = ['small', 'wide'];

/** `500,2000` → [500, 2000]; every entry a positive number. */
export function parseRates(value: string, option: string): number[] {
  const rates = value.split(',').map((part) => part.trim());
  const bad = rates.filter((r) => r === '' || !Number.isFinite(Number(r)) || Number(r) <= 0);
  if (rates.length === 0 || bad.length > 0)
    throw new Error(
      `${option}: expected comma-separated positive changes/s such as 500,2000, got "${value}"`,
    );
  return rates.map(Number);
}

/** `small,wide` → ['small', 'wide']. */
export function parseShapes(value: string): Shape[] {
  const shapes = value.split(',').map((part) => part.trim());
  const bad = shapes.filter((s) => !SHAPES.includes(s as Shape));
  if (bad.length > 0)
    throw new Error(`--shapes: expected small and/or wide, got "${bad.join(',')}"`);
  return shapes as Shape[];
}
