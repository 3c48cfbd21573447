import fs from 'node:fs';

/**
 * CPU and memory of processes from Linux's /proc, for `dlpool bench`'s probe and the bench harness. Every
 * reader returns undefined (or 0 for sums) where /proc is missing or the process is gone.
 */

/** USER_HZ: the unit of the CPU times in /proc/PID/stat (100 on every Linux this runs on). */
const TICKS_PER_S = 100;

export interface ProcCpu {
  /** User and system CPU seconds of the process itself (all its threads). */
  userS: number;
  sysS: number;
  /** User + system CPU seconds of its exited, reaped children. */
  childrenS: number;
}

/** CPU times of `pid` (or of this process, 'self') from /proc/PID/stat. */
export function procCpu(pid: number | 'self'): ProcCpu | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The fields after the command name (which may hold spaces and parentheses) start at field 3 (state):
  // utime and stime are fields 14 and 15, cutime and cstime 16 and 17.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const n = (i: number) => Number(f[i]) / TICKS_PER_S;
  return { userS: n(11), sysS: n(12), childrenS: n(13) + n(14) };
}

/** User + system CPU seconds of `pid` and its direct children that are alive now (e.g. nginx and its workers). */
export function treeCpuSeconds(pid: number): number {
  const pids = [pid];
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (kids) pids.push(...kids.split(/\s+/).map(Number));
  } catch {}
  let s = 0;
  for (const p of pids) {
    const c = procCpu(p);
    if (c) s += c.userS + c.sysS;
  }
  return s;
}

/** All non-idle CPU seconds of the machine (any process): a noise indicator around a timed run. */
export function machineBusySeconds(): number {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system irq softirq steal
    return ((f[0] ?? 0) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / TICKS_PER_S;
  } catch {
    return 0;
  }
}

export interface ProcMemory {
  rssKiB: number;
  /** Peak resident set (VmHWM) so far. */
  hwmKiB: number;
  threads: number;
}

/** Resident and peak memory and thread count of `pid` from /proc/PID/status. */
export function procMemory(pid: number): ProcMemory | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    const threads = Number(/^Threads:\s+(\d+)/m.exec(s)?.[1] ?? 0);
    return { rssKiB: kb('VmRSS'), hwmKiB: kb('VmHWM'), threads };
  } catch {
    return undefined;
  }
}

/**
 * How many file descriptors `pid` has open now, leaving out files under `notUnder`: Node opens every chunk of
 * a program's code at once while it loads, a spike of one fd per chunk that says nothing of the run's own use.
 */
export function openFds(pid: number, notUnder?: string): number | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  if (notUnder === undefined) return names.length;
  const prefix = notUnder.endsWith('/') ? notUnder : `${notUnder}/`;
  let n = 0;
  for (const name of names) {
    let target = '';
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      // Closed since the listing (the listing's own fd among them): counted, as the plain count counts it.
    }
    if (!target.startsWith(prefix)) n++;
  }
  return n;
}

/** Is `pid` running (a zombie counts as gone)? */
export function pidAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
