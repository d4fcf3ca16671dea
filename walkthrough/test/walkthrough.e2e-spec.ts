import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { runStrangler } from '../../cli/strangler.js';
import { cardsWalkthrough } from '../src/cards-steps.js';

const STACK_SCRIPT = fileURLToPath(new URL('../../dist/stack/start.js', import.meta.url));
const TIMEOUT_MS = 420_000;

/**
 * The whole walkthrough, unattended, as CI runs it: `strangler walkthrough --start-stack --yes`
 * starts its own copy of the example (dist/stack/start.js: PostgreSQL, sync, legacy,
 * cards-service, facade on free ports), runs every step and verifies each with the toolkit's
 * own checks, then stops the stack.
 */
describe('strangler walkthrough --start-stack --yes', () => {
  it(
    'verifies every available step and explains the ones not available yet',
    async () => {
      if (!existsSync(STACK_SCRIPT)) {
        throw new Error(
          `${STACK_SCRIPT} is missing: the walkthrough starts the compiled stack; run npm run build first (npm test does)`,
        );
      }
      let output = '';
      const collect = (text: string): void => {
        output += text;
      };
      const code = await runStrangler(['walkthrough', '--start-stack', '--yes'], {
        out: collect,
        err: collect,
        env: process.env,
        cwd: process.cwd(),
        color: false,
      });
      if (code !== 0) throw new Error(`exit code ${code}; the walkthrough said:\n${output}`);
      const steps = cardsWalkthrough();
      for (const step of steps.filter((s) => s.available)) {
        expect(output).toContain(`✓ ${step.id} verified`);
      }
      for (const step of steps.filter((s) => !s.available)) {
        expect(output).toContain(`Step ${steps.indexOf(step) + 1}/${steps.length} · ${step.id}`);
      }
      expect(output).not.toContain('FAILED');
      expect(output).toContain('0 failing of 40 compared');
      expect(output).toMatch(/users whose second read went to the other side: 0/);
      expect(output).toContain(
        'X-Strangler-Route: cards-reads, X-Strangler-Upstream: cards-service',
      );
      expect(output).toMatch(/Walkthrough done: 6 steps verified, 4 not available yet/);
    },
    TIMEOUT_MS,
  );
});
