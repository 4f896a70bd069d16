// zcl serve: the live lab (dashboard, JSON API, WebSocket /live) until Ctrl-C.
import { mkdirSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { startServer } from '../api/server.js';
import { onInterrupt } from './progress.js';
import { MODE_NAMES, MODES, modeInfo } from '../../scenarios/catalog.js';
import { tlsSupport } from '../core/ktls.js';
import { InputError, parseRunSpec } from '../schema/run-spec.js';

/** The environment variable the token may come from (the systemd unit's EnvironmentFile sets it). */
export const TOKEN_ENV = 'ZCL_TOKEN';

const Options = z.object({
  port: z.coerce.number({ error: 'must be a port number' }).int('must be a whole number').min(0, 'allowed: 0 (any free port) to 65535').max(65535, 'allowed: 0 (any free port) to 65535'),
  host: z.string().min(1, 'must not be empty'),
  token: z.string().min(16, 'must be at least 16 characters (or leave it out: one is generated)').max(256).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
  probes: z.boolean(),
  results: z.string().min(1).optional(),
  everyMode: z.boolean().optional(),
});

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('the live lab: serve the dashboard, the JSON API and the WebSocket /live (one run at a time, others queued)')
    .option('--port <port>', 'TCP port (0: any free port)', '8080')
    .option('--host <host>', 'address to bind; anything but loopback requires the token', '127.0.0.1')
    .addOption(
      new Option('--token <token>', 'the token API calls and the WebSocket must carry (generated and printed when the host is not loopback); prefer ZCL_TOKEN: a command line is readable by every local user (ps)').env(TOKEN_ENV),
    )
    .option('--no-probes', 'do not load the eBPF probes (runs report probes: off)')
    .option('--results <dir>', 'where finished runs are kept as JSON files (default: $ZCL_HOME/results)')
    .option('--every-mode', 'when the history is empty, queue every mode once at start (256 MiB each), so the page has runs to compare')
    .addHelpText('after', '\nExamples:\n  zcl serve                       # http://127.0.0.1:8080/\n  zcl serve --host 0.0.0.0        # from another machine (a VM\'s host): prints the URL with its token\n  ZCL_TOKEN=... zcl serve --host 0.0.0.0   # the token from the environment (not visible in ps)\n')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = Options.safeParse(raw);
      // The token's value does not go on to the children this server starts.
      const tokenFromEnv = process.env[TOKEN_ENV] !== undefined && raw.token === process.env[TOKEN_ENV];
      delete process.env[TOKEN_ENV];
      if (!parsed.success)
        throw new InputError(
          parsed.error.issues.map((i) => ({ field: i.path[0] === 'token' && tokenFromEnv ? `${TOKEN_ENV} (environment)` : `--${String(i.path[0])}`, message: i.message })),
          'options',
        );
      const o = parsed.data;
      if (o.results) mkdirSync(o.results, { recursive: true });
      const server = await startServer({ ...o, resultsDir: o.results, log: (l) => process.stderr.write(`zcl serve: ${l}\n`) }).catch((e: NodeJS.ErrnoException) => {
        if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES')
          throw new InputError(
            [{
              field: '--port',
              message: `${e.code === 'EADDRINUSE' ? `port ${o.port} on ${o.host} is already in use (another zcl serve, or another program)` : `port ${o.port} on ${o.host} is not permitted`}; choose another: zcl serve --port N (or npm run lab -- --port N; 0: any free port)`,
            }],
            'options',
          );
        throw e;
      });
      process.stdout.write(`zerocopy-lab is live: ${server.urls[0]}\n`);
      for (const u of server.urls.slice(1)) process.stdout.write(`  also: ${u}\n`);
      if (server.token && !o.token) process.stdout.write(`token (generated): ${server.token}\n`);
      process.stdout.write('Ctrl-C stops the server (a running run is cancelled and cleaned up)\n');
      // The results directory's runs (this lab's and `zcl run`'s); the reports' runs are listed too, but are not its history.
      const kept = o.everyMode ? server.runner.recent(1000).filter((r) => r.origin !== 'report').length : 0;
      if (o.everyMode && kept === 0) {
        // The default scenario: the seeds' comparison, every mode once on its path (the kTLS modes where the kernel has tls).
        const tls = tlsSupport();
        const modes = MODE_NAMES.filter((m) => !modeInfo(m).kernelFeature || tls.ok);
        for (const mode of modes)
          server.runner.submit(parseRunSpec({ mode, path: (MODES[mode] as { path?: string }).path ?? 'loopback' }));
        process.stdout.write(`queued every mode once (${modes.length} runs of 256 MiB): the compare view and the seeds' table fill in as they finish\n`);
        if (!tls.ok) process.stdout.write(`not queued: ${MODE_NAMES.filter((m) => modeInfo(m).kernelFeature).join(', ')} (${tls.reason})\n`);
      } else if (o.everyMode)
        // Not silently: what was skipped, and how to have it anyway.
        process.stdout.write(
          `not queuing every mode: ${server.runner.resultsDir} has runs already (${kept}), shown on the page; to run every mode again press "Run every mode" there, or start with an empty results directory (--results DIR)\n`,
        );
      await new Promise<void>((resolve) =>
        onInterrupt(() => {
          process.stderr.write('zcl serve: stopping (Ctrl-C again: stop without waiting; the cleanup still runs)\n');
          server.close().then(resolve, resolve);
        }),
      );
      process.exit(0);
    });
}
