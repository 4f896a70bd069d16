// The VM lab's files and the setup script: the Vagrantfile validates (Vagrant
// and its libvirt provider come from Debian's packages via the test setup),
// every shell script passes shellcheck, and setup has nothing left to do after
// the run that started this suite.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('the systemd unit verifies, and its ExecStart serves the lab with the token from its environment file, not its command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zcl-unit-'));
    try {
      const unit = readFileSync(join(ROOT, 'deploy', 'zerocopy-lab.service'), 'utf8').replaceAll('@ROOT@', ROOT).replaceAll('@NODE@', process.execPath);
      const path = join(dir, 'zerocopy-lab.service');
      writeFileSync(path, unit);
      const v = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
      expect(v.stderr).toBe('');
      expect(v.status).toBe(0);
      // The token comes from the EnvironmentFile (ps shows a command line to every local user).
      expect(unit).toMatch(/^EnvironmentFile=\/var\/lib\/zerocopy-lab\/serve\.env$/m);
      const execLine = /^ExecStart=(.*)$/m.exec(unit)![1];
      expect(execLine).not.toMatch(/token|ZCL_TOKEN/i);
      // install-service.sh writes ZCL_TOKEN=... into that file.
      expect(readFileSync(join(ROOT, 'deploy', 'install-service.sh'), 'utf8')).toMatch(/printf 'ZCL_TOKEN=%s\\n'.*serve\.env/);
      // The same command line, on a free port, with the token systemd would put in its environment.
      const exec = execLine.replace('--port 8080', '--port 0');
      const [cmd, ...args] = exec.split(' ');
      const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ZCL_HOME: dir, ZCL_TOKEN: 'a-test-token-0123456789' }, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        const out = await new Promise<string>((resolve, reject) => {
          let buf = '';
          p.stdout.on('data', (d) => {
            buf += d;
            if (/is live: (\S+)/.test(buf)) resolve(buf);
          });
          p.on('exit', (code) => reject(new Error(`zcl serve exited ${code}`)));
          setTimeout(() => reject(new Error(`no URL in: ${buf}`)), 20_000);
        });
        const url = /is live: (\S+)/.exec(out)![1];
        expect(url).toMatch(/token=a-test-token-0123456789/);
        const base = new URL(url);
        const noToken = await fetch(`http://127.0.0.1:${base.port}/api/modes`);
        expect(noToken.status).toBe(401);
        const withToken = await fetch(`http://127.0.0.1:${base.port}/api/modes`, { headers: { authorization: 'Bearer a-test-token-0123456789' } });
        expect(withToken.status).toBe(200);
        // Its command line (world-readable in /proc) does not hold the token.
        expect(readFileSync(`/proc/${p.pid}/cmdline`, 'utf8')).not.toContain('a-test-token');
      } finally {
        p.kill('SIGTERM');
        await new Promise((r) => p.once('exit', r));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
