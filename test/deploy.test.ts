// The VM lab's files and the setup script: the Vagrantfile validates (Vagrant
// and its libvirt provider come from Debian's packages via the test setup),
// every shell script passes shellcheck, and setup has nothing left to do after
// the run that started this suite.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../server/project.js';

function shellScripts(): string[] {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  return files.filter((f) => {
    if (f.endsWith('.sh')) return true;
    try {
      return /^#!.*\b(ba)?sh\b/.test(readFileSync(join(ROOT, f), 'utf8').slice(0, 80));
    } catch {
      return false;
    }
  });
}

describe('deployment', () => {
  it('vagrant validate accepts the Vagrantfile, provider settings included', () => {
    const r = spawnSync('vagrant', ['validate'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VAGRANT_DEFAULT_PROVIDER: 'libvirt' } });
    expect(r.error?.message ?? '').toBe('');
    expect(r.stdout + r.stderr).toMatch(/validated successfully/);
    expect(r.status).toBe(0);
  });

  it('every shell script passes shellcheck', () => {
    const scripts = shellScripts();
    expect(scripts).toContain('scripts/setup.sh');
    expect(scripts).toContain('.ci/run');
    const r = spawnSync('shellcheck', ['-x', ...scripts], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a second setup run has nothing to do', () => {
    const r = spawnSync(join(ROOT, 'scripts', 'setup.sh'), ['--for', 'test', '--check'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toMatch(/nothing to do/);
    expect(r.status).toBe(0);
  });
});
