/**
 * The question before each walkthrough step, and how an answer is read. A step is applied ONLY
 * on Enter or y/yes; q/quit stops, s/skip hides the explanations from now on (and applies);
 * anything else asks again with a hint (trimmed, any case). On a terminal one key answers (no
 * Enter needed: `q` stops at once, Ctrl-C and Ctrl-D stop too); piped input answers a line each,
 * and its end stops.
 */
import { createInterface } from 'node:readline';

import type { CliInput } from '../../cli/cli-io.js';
import type { Prompter } from './engine.js';

export type StepAnswer = 'apply' | 'hide-explanations' | 'quit';

export const STEP_QUESTION =
  '  [Enter/y] apply and verify   [s] skip explanations from now on   [q] quit > ';

export const STEP_ANSWER_HINT = 'answer Enter or y to apply, s to skip explanations, q to quit';

/** The answer `text` stands for, or null when it is none of them (ask again). */
export function parseStepAnswer(text: string): StepAnswer | null {
  switch (text.trim().toLowerCase()) {
    case '':
    case 'y':
    case 'yes':
      return 'apply';
    case 's':
    case 'skip':
      return 'hide-explanations';
    case 'q':
    case 'quit':
      return 'quit';
    default:
      return null;
  }
}

export interface ClosablePrompter extends Prompter {
  close(): void;
}

/** One key per answer on a terminal, one line per answer otherwise. */
export function stepPrompter(input: CliInput, out: (text: string) => void): ClosablePrompter {
  return input.isTTY === true && typeof input.setRawMode === 'function'
    ? keyPrompter(input, out)
    : linePrompter(input, out);
}

const ENTER = new Set(['\r', '\n', '\r\n']);
/** Ctrl-C and Ctrl-D: raw mode turns them into bytes instead of SIGINT / end of input. */
const STOP_KEYS = new Set(['\u0003', '\u0004']);

/** Raw mode for the time of one key; the key is echoed as its answer. */
export function keyPrompter(input: CliInput, out: (text: string) => void): ClosablePrompter {
  return {
    ask(question) {
      out(question);
      return new Promise((resolve) => {
        input.setRawMode?.(true);
        input.resume();
        input.once('data', (chunk: Buffer | string) => {
          input.setRawMode?.(false);
          input.pause();
          const key = chunk.toString();
          if (STOP_KEYS.has(key)) {
            out('q\n');
            resolve('q');
          } else if (ENTER.has(key)) {
            out('\n');
            resolve('');
          } else {
            const printable = /^[\x20-\x7e]+$/.test(key) ? key : JSON.stringify(key);
            out(`${printable}\n`);
            resolve(key);
          }
        });
      });
    },
    close() {
      input.setRawMode?.(false);
      input.pause();
    },
  };
}

/** Lines are buffered (a piped answer file works); the end of the input answers `q`. */
export function linePrompter(input: CliInput, out: (text: string) => void): ClosablePrompter {
  const readline = createInterface({ input, terminal: false });
  const lines = readline[Symbol.asyncIterator]();
  return {
    async ask(question) {
      out(question);
      const next = await lines.next();
      // An answer piped in is not echoed: end the prompt's line.
      if (input.isTTY !== true) out('\n');
      return next.done === true ? 'q' : String(next.value);
    },
    close() {
      readline.close();
    },
  };
}
