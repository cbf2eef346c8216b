// What a Chromium started with a given profile uses, read from /proc: its
// processes' resident memory and CPU time.
import { readFileSync, readdirSync } from 'node:fs';
import { round } from './workload.ts';

/** This Chromium's processes: the browser process started with `profileDir` and all its descendants. */
function chromiumPids(profileDir: string): number[] {
  const children = new Map<number, number[]>();
  let rootPid = 0;
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const pid = Number(entry);
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
      children.set(ppid, [...(children.get(ppid) ?? []), pid]);
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!rootPid && cmdline.includes(profileDir) && !cmdline.includes('--type=')) rootPid = pid;
    } catch { /* the process ended while we looked */ }
  }
  const pids: number[] = [];
  const visit = (pid: number) => {
    pids.push(pid);
    for (const child of children.get(pid) ?? []) visit(child);
  };
  if (rootPid) visit(rootPid);
  return pids;
}

/**
 * Resident memory of this Chromium in MB: every process (the browser, GPU, network
 * and storage services, renderers; shared pages counted in each), and the largest
 * renderer alone, which is the lab's tab: its page and workers, the guest's RAM among them.
 * `tabPrivate` is that renderer's own memory without the pages it shares with Chromium's
 * other processes (its code, fonts): RssAnon + VmSwap, what Chrome's task manager calls a
 * tab's memory footprint on Linux.
 */
export function chromiumMemoryMb(profileDir: string): { all: number; tab: number; tabPrivate: number } {
  let all = 0;
  let tab = 0;
  let tabPrivate = 0;
  for (const pid of chromiumPids(profileDir)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
      const rss = kb('VmRSS');
      all += rss;
      if (rss > tab && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) {
        tab = rss;
        tabPrivate = kb('RssAnon') + kb('VmSwap');
      }
    } catch { /* the process ended while we looked */ }
  }
  return { all: round(all / 1024), tab: round(tab / 1024), tabPrivate: round(tabPrivate / 1024) };
}

/** CPU time (user + system) this Chromium's processes have used so far, in seconds. */
export function chromiumCpuSeconds(profileDir: string): number {
  let ticks = 0;
  for (const pid of chromiumPids(profileDir)) {
    try {
      // The fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch { /* the process ended while we looked */ }
  }
  return ticks / 100;
}
