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
