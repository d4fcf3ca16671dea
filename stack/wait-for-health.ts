/**
 * Polls `url` until it answers 2xx, or fails after `timeoutMs` naming what it waited for.
 * `alive` lets the caller stop waiting early when the process behind the URL has died.
 */
export async function waitForHealth(
  name: string,
  url: string,
  options: { timeoutMs?: number; alive?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (options.alive && !options.alive())
      throw new Error(`${name} exited before it became healthy`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
      lastError = `HTTP ${response.status}`;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not become healthy at ${url}: ${lastError}`);
}
