/**
 * Linux /proc readers for the relay benchmark: CPU time and resident memory of a process, and
 * the file-descriptor limit. Synchronous on purpose: each is one small read, and the callers
 * want the value at a precise moment.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/** utime and stime of a process (all its threads), in clock ticks. */
export function cpuTimes(pid: number | 'self'): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // Field 2 (comm) is in parentheses and may contain spaces; count fields after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field N is rest[N - 3]: utime = 14, stime = 15.
  return { user: Number(rest[11]), system: Number(rest[12]) };
}

/** utime + stime of a process (all its threads), in clock ticks. */
export function cpuTicks(pid: number | 'self'): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** Resident set size (VmRSS) in KiB. */
export function rssKb(pid: number | 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status (has the process exited?)`);
  return Number(match[1]);
}

/** Clock ticks per second for /proc/<pid>/stat times (`getconf CLK_TCK`, nearly always 100). */
export function clockTicksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(value) && value > 0) return value;
  } catch {
    // getconf missing: fall through to the Linux default.
  }
  return 100;
}

/** Soft limit on open files for this process (children inherit it), or Infinity when unlimited. */
export function openFilesLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'latin1');
  const match = /^Max open files\s+(\S+)/m.exec(limits);
  if (!match || match[1] === 'unlimited') return Infinity;
  return Number(match[1]);
}

/** Machine-wide CPU time from the first line of /proc/stat, in clock ticks summed over all CPUs. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest is part of user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** Read and write system calls a process has made so far (/proc/<pid>/io syscr, syscw). */
export function syscalls(pid: number | 'self'): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'latin1');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  return { reads: field('syscr'), writes: field('syscw') };
}
