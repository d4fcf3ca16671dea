/**
 * What a command needs from its process, passed in so the whole CLI runs in-process in tests:
 * output streams, the environment and the working directory. Exit codes are the CLI's contract.
 */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative file arguments resolve against this. */
  readonly cwd: string;
  /** ANSI colours in diffs. */
  readonly color: boolean;
  /** Where interactive answers come from (the walkthrough's prompt); absent: none (`--yes`). */
  readonly input?: CliInput;
}

/** stdin, or a stream in tests; a terminal can be put in raw mode (one key per answer). */
export interface CliInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** Done, or the file is valid (also: the reader of the output went away, `| head`). */
export const EXIT_OK = 0;
/** Invalid file, refused edit, failed request, a refused change pending (`routes status`). */
export const EXIT_FAILED = 1;
/** Bad command line. */
export const EXIT_USAGE = 2;

/** An expected failure: printed as its lines, without a stack, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly lines: readonly string[],
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(lines.join('\n'));
    this.name = 'CliError';
  }
}

/**
 * The process's own streams. A reader that goes away (`strangler ... | head -1`) ends the program
 * quietly with exit 0 instead of an EPIPE stack trace, whoever was writing (the routes commands,
 * the walkthrough, the mounted sync and contracts CLIs all write to these two streams).
 */
export function processIo(): CliIo {
  endQuietlyWhenReaderGoes(process.stdout, (code) => process.exit(code));
  endQuietlyWhenReaderGoes(process.stderr, (code) => process.exit(code));
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
    input: process.stdin,
  };
}

/** EPIPE on `stream` → `exit(EXIT_OK)`; any other stream error stays an error. */
export function endQuietlyWhenReaderGoes(
  stream: NodeJS.WritableStream,
  exit: (code: number) => void,
): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    exit(EXIT_OK);
  });
}
