// Runs before `npm start` builds: if an earlier build exists, check the ports with it, so a port
// clash fails at once instead of after the build (the stack checks again when it starts).
// Plain JavaScript because it runs before TypeScript is compiled.
const check = await import('../dist/stack/check-ports.js').catch(() => undefined);
const problem = await check?.checkStackPorts().catch(() => undefined);
if (problem) {
  console.error(`[stack] ${problem}`);
  process.exit(1);
}
