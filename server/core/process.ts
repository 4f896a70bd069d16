import { readdirSync, readFileSync } from 'node:fs';

// Is a process still there? (Signal 0 checks without sending; EPERM means it
// exists but belongs to someone else.) Used to tell leftovers of dead runs,
// reports and probe engines from live ones.
export function isAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every running process's parent (tgid -> ppid), from /proc/PID/stat. */
export function parentMap(): Map<number, number> {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  return parent;
}

/** These running processes and all their running descendants (roots first). */
export function processTrees(roots: Iterable<number>): number[] {
  const parent = parentMap();
  const tree = [...roots].filter((p) => parent.has(p));
  const seen = new Set(tree);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parent)
      if (seen.has(ppid) && !seen.has(pid)) {
        seen.add(pid);
        tree.push(pid);
        grew = true;
      }
  }
  return tree;
}
