import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';

import type { CliInput } from '../../cli/cli-io.js';
import { keyPrompter, linePrompter, parseStepAnswer, stepPrompter } from '../src/step-prompt.js';

describe('parseStepAnswer', () => {
  it.each([
    ['', 'apply'],
    ['  ', 'apply'],
    ['y', 'apply'],
    ['YES', 'apply'],
    ['s', 'hide-explanations'],
    [' Skip ', 'hide-explanations'],
    ['q', 'quit'],
    ['q ', 'quit'],
    ['QUIT', 'quit'],
    ['n', null],
    ['no', null],
    ['qq', null],
    ['yes please', null],
  ])('%j → %s', (text, answer) => {
    expect(parseStepAnswer(text)).toBe(answer);
  });
});

describe('linePrompter (piped input)', () => {
  it('answers a line each, and q at the end of the input', async () => {
    const input = new PassThrough();
    let output = '';
    const prompter = linePrompter(input, (text) => (output += text));
    input.end('n\nquit \n');
    expect(await prompter.ask('? ')).toBe('n');
    expect(await prompter.ask('? ')).toBe('quit ');
    expect(await prompter.ask('? ')).toBe('q');
    expect(output).toBe('? \n? \n? \n');
    prompter.close();
  });
});

/** A terminal as the prompter sees it: a stream with isTTY and setRawMode. */
class FakeTerminal extends EventEmitter {
  readonly isTTY = true;
  readonly rawModes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.rawModes.push(mode);
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
}

describe('keyPrompter (a terminal)', () => {
  it('answers with one key, without Enter, in raw mode only while asking', async () => {
    const terminal = new FakeTerminal();
    const input = terminal as unknown as CliInput;
    let output = '';
    const prompter = stepPrompter(input, (text) => (output += text));
    const answer = prompter.ask('> ');
    expect(terminal.rawModes).toEqual([true]);
    terminal.emit('data', Buffer.from('q'));
    expect(await answer).toBe('q');
    expect(terminal.rawModes).toEqual([true, false]);
    expect(output).toBe('> q\n');
  });

  it('Enter is the empty answer; Ctrl-C and Ctrl-D quit', async () => {
    const terminal = new FakeTerminal();
    const prompter = keyPrompter(terminal as unknown as CliInput, () => undefined);
    for (const [key, answer] of [
      ['\r', ''],
      ['\u0003', 'q'],
      ['\u0004', 'q'],
      ['n', 'n'],
    ]) {
      const asked = prompter.ask('> ');
      terminal.emit('data', key);
      expect(await asked).toBe(answer);
    }
  });
});
