// Runs a system command (ip, ethtool) and fails with what it printed.
import { execFile, execFileSync } from 'node:child_process';

import { CommandError } from '../core/errors.js';

export { CommandError };

export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      reject(new CommandError(`${cmd} ${args.join(' ')}`, missing ? `${cmd} is not installed (run: npm run setup)` : stderr || err.message));
    });
  });
}

/** For exit handlers, where nothing asynchronous runs any more. */
export function runSync(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    /* best effort: the next run's sweep retries */
  }
}
