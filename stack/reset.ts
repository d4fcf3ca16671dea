/**
 * `npm run reset`: starts the example over. Removes the embedded database, puts routes.yaml back
 * to the committed example (routes.example.yaml) and forgets the walkthrough's progress, all
 * three together (see stack-state.ts). Refuses while `npm start` runs.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStackConfig } from './stack-config.js';
import { resetStackState, stackState } from './stack-state.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<void> {
  const config = loadStackConfig();
  const state = stackState({ stateDir: config.stateDir, routesFile: config.routesFile, repoRoot });
  const { done } = await resetStackState(state);
  for (const line of done) console.log(`[reset] ${line}`);
  console.log(
    done.length > 0
      ? '[reset] the next npm start seeds a fresh database'
      : '[reset] nothing to reset: the example is as committed',
  );
}

main().catch((error: unknown) => {
  console.error(`[reset] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
