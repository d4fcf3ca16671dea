/**
 * `node dist/stack/check-ports.js`: exits 1 with a message naming each port that is taken, what
 * wants it and the variable that moves it; 0 when `npm start` can listen on all of them.
 * `npm start` runs it before building (stack/prestart.js), and the stack again when it starts.
 */
import { loadStackConfig } from './stack-config.js';
import { findPortClashes, stackPorts } from './stack-ports.js';

export async function checkStackPorts(): Promise<string | undefined> {
  const clashes = await findPortClashes(stackPorts(loadStackConfig()));
  return clashes.length > 0
    ? `cannot start:\n${clashes.map((clash) => `  ${clash}`).join('\n')}`
    : undefined;
}
