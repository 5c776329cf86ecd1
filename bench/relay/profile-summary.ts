/**
 * `tsx bench/relay/profile-summary.ts <file.cpuprofile> [top]`: where a V8 CPU profile (from
 * `npm run bench:relay -- --cpu-prof`) spends its time: self time by function and by source
 * (our signaling code, ws, Node internals, GC, idle), and inclusive time by function.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

// Piped into `head`: stop quietly when the reader goes away.
process.stdout.on('error', () => process.exit(0));

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/relay/profile-summary.ts <file.cpuprofile> [top]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

// Self time per node from the sample timeline (µs).
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);

function source(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle (waiting in epoll)';
  if (name === '(program)') return '(program): native, not attributed to JS';
  if (!url) return 'native / builtins';
  if (url.includes('/signaling/')) return 'our relay (signaling/)';
  if (url.includes('/node_modules/ws/')) return 'ws';
  if (url.includes('/node_modules/tsx/')) return 'tsx loader';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[1] ?? url.slice(5)}`;
  return url.replace(/^file:\/\/.*\/node_modules\//, '');
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^file:\/\/.*?\/(signaling|node_modules)\//, '$1/')}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

const selfByFunction = new Map<string, number>();
const selfBySource = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id);
  if (!node) continue;
  const key = label(node);
  selfByFunction.set(key, (selfByFunction.get(key) ?? 0) + us);
  const src = source(node.callFrame.url, node.callFrame.functionName);
  selfBySource.set(src, (selfBySource.get(src) ?? 0) + us);
}

// Inclusive time per function: each node's subtree, counted once per function per stack.
const inclusiveByFunction = new Map<string, number>();
function walk(id: number, onStack: Set<string>): number {
  const node = byId.get(id);
  if (!node) return 0;
  let sum = selfUs.get(id) ?? 0;
  const key = label(node);
  const fresh = !onStack.has(key);
  if (fresh) onStack.add(key);
  for (const child of node.children ?? []) sum += walk(child, onStack);
  if (fresh) {
    onStack.delete(key);
    inclusiveByFunction.set(key, (inclusiveByFunction.get(key) ?? 0) + sum);
  }
  return sum;
}
walk(profile.nodes[0].id, new Set());

const busyUs = totalUs - (selfBySource.get('idle (waiting in epoll)') ?? 0);
const pct = (us: number, of: number) => `${((us / of) * 100).toFixed(1).padStart(5)} %`;
function print(title: string, entries: Map<string, number>, limit: number): void {
  console.log(`\n${title}`);
  for (const [key, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    console.log(`  ${pct(us, totalUs)} of all  ${pct(us, busyUs)} of busy  ${key}`);
  }
}

console.log(`${file}: ${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s not idle`);
print('self time by source', selfBySource, 20);
print(`self time by function (top ${top})`, selfByFunction, top);
print(`inclusive time by function (top ${top})`, inclusiveByFunction, top);
