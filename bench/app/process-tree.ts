/**
 * CPU time of a process and everything under it, from /proc: a Chromium is a browser process
 * plus GPU, network, utility and renderer processes, and a tab's cost is spread over them.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { clockTicksPerSecond } from '../relay/proc.js';

const TICKS_PER_SECOND = clockTicksPerSecond();

interface ProcStat {
  parent: number;
  /** utime + stime, in clock ticks (all threads of the process). */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (err) {
    // The process exited between readdir and read: it is no longer part of any tree.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') return null;
    throw err;
  }
  // Field 2 (comm) is in parentheses and may hold spaces: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid = field 4, utime = 14, stime = 15.
  return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/** The pids of `root` and all its descendants, with their CPU seconds so far. */
export function treeCpu(root: number): { seconds: number; processes: number } {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, stat] of stats) children.set(stat.parent, [...(children.get(stat.parent) ?? []), pid]);
  let ticks = 0;
  let processes = 0;
  const pending = stats.has(root) ? [root] : [];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    ticks += stats.get(pid)!.ticks;
    processes++;
    pending.push(...(children.get(pid) ?? []));
  }
  return { seconds: ticks / TICKS_PER_SECOND, processes };
}
