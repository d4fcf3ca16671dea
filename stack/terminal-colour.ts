/**
 * Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org): a log
 * redirected to a file or piped into another program gets plain text.
 */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}
