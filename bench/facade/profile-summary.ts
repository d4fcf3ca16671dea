/**
 * Summarises a V8 `.cpuprofile` (from `node dist/bench/facade/run.js --profile <dir>`, which runs
 * the plain-rule facade under `--cpu-prof`): self time per function and per source file, top N.
 *
 *   node dist/bench/facade/profile-summary.js <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Summary {
  totalMs: number;
  functions: { name: string; selfMs: number; share: number }[];
  files: { file: string; selfMs: number; share: number }[];
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const i = url.indexOf('/node_modules/');
  if (i >= 0) return url.slice(i + 1);
  const j = url.indexOf('/dist/');
  return j >= 0 ? url.slice(j + 6) : url.replace(/^file:\/\//, '');
}

export function summarise(profile: CpuProfile, top: number): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (n === undefined) continue;
    total += us;
    const url = shortUrl(n.callFrame.url);
    const name = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    file.set(url, (file.get(url) ?? 0) + us);
  }
  const rank = (m: Map<string, number>): [string, number][] =>
    [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return {
    totalMs: total / 1000,
    functions: rank(fn).map(([name, us]) => ({ name, selfMs: us / 1000, share: us / total })),
    files: rank(file).map(([f, us]) => ({ file: f, selfMs: us / 1000, share: us / total })),
  };
}

const [path, topArg] = process.argv.slice(2);
if (path !== undefined) {
  const s = summarise(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, Number(topArg ?? 25));
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  console.log(`total sampled: ${s.totalMs.toFixed(0)} ms\n\n| self | function |\n| ---: | --- |`);
  for (const f of s.functions) console.log(`| ${pct(f.share)} | \`${f.name}\` |`);
  console.log('\n| self | file |\n| ---: | --- |');
  for (const f of s.files) console.log(`| ${pct(f.share)} | \`${f.file}\` |`);
}
