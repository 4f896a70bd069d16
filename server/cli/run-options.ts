// The run spec as command-line options: one option per RunSpec field, with
// help generated from the catalog, and validation errors named by option.
import { Option, type Command } from 'commander';
import { CACHES, DEFAULTS, ENGINES, LIMITS, MODES, PATHS, SINKS } from '../../scenarios/catalog.js';
import { DEFAULT_ENGINE, InputError, parseRunSpec, type RunSpec } from '../schema/run-spec.js';
import { DURATION_SYNTAX, formatDuration, formatRate, formatSize, SIZE_SYNTAX } from '../schema/units.js';

/** RunSpec field -> the CLI option that sets it. */
export const OPTION_OF_FIELD: Record<string, string> = {
  mode: '--mode', path: '--path', sink: '--sink', sizeBytes: '--size', chunkBytes: '--chunk', cache: '--cache', engine: '--engine',
  duration: '--duration', rate: '--rate',
};

export function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--mode <mode>', 'how the sender moves the file (see below)').default(DEFAULTS.mode))
    .addOption(new Option('--path <path>', `the network path: ${Object.keys(PATHS).join(' | ')} (see below) (default: ${DEFAULTS.path}; veth-nosg for sendfile-nogather)`))
    .addOption(new Option('--sink <sink>', 'what the receiver does with the bytes (see below)').default(DEFAULTS.sink))
    .addOption(new Option('--size <size>', `bytes to send: ${SIZE_SYNTAX}`).default(formatSize(DEFAULTS.sizeBytes).replace(' ', '')))
    .addOption(new Option('--chunk <size>', `bytes per transfer syscall (default: ${formatSize(DEFAULTS.chunkBytes).replace(' ', '')}, or the size if smaller; app modes: their program's own)`))
    .addOption(new Option('--cache <cache>', 'page-cache state of the file before the run: warm | cold').default(DEFAULTS.cache))
    .addOption(engineOption())
    .addOption(new Option('--duration <time>', `keep sending the file, pass after pass, for this long (like iperf3 -t): ${DURATION_SYNTAX}; ${formatDuration(LIMITS.minDurationSeconds)} to ${formatDuration(LIMITS.maxDurationSeconds)}; not for app modes (default: 0, one pass of the file)`))
    .addOption(new Option('--rate <rate>', `cap the sender at this many bytes per second (paced chunk by chunk): e.g. 50MiB/s; ${formatRate(LIMITS.minRateBytesPerSecond)} to ${formatRate(LIMITS.maxRateBytesPerSecond)}; not for app modes (default: 0, unlimited)`));
}

/** --engine: the probe engine (the RunSpec's `engine`, validated by the schema). */
export function engineOption(): Option {
  return new Option('--engine <engine>', `the probe engine: ${Object.keys(ENGINES).join(' | ')} (see below)`).default(DEFAULT_ENGINE);
}

export function catalogHelp(): string {
  const list = (title: string, entries: Record<string, { summary: string }>) => {
    const w = Math.max(...Object.keys(entries).map((k) => k.length));
    return `\n${title}:\n` + Object.entries(entries).map(([k, v]) => `  ${k.padEnd(w)}  ${v.summary}`).join('\n');
  };
  // Modes: what each does, and which program runs it (the lab's engine, Node, or a real program).
  const modes = Object.fromEntries(
    Object.entries(MODES).map(([k, m]) => [k, { summary: `${m.summary}\n  ${' '.repeat(Math.max(...Object.keys(MODES).map((x) => x.length)))}  program: ${m.program}${'app' in m ? ` (chunk: ${m.app.chunk}; probe engine: libbpf)` : ''}` }]),
  );
  return (
    list('Modes (--mode)', modes) + '\n' + list('Paths (--path)', PATHS) + '\n' + list('Sinks (--sink)', SINKS) + '\n' +
    list('Cache (--cache)', CACHES) + '\n' + list('Probe engines (--engine)', ENGINES) + '\n'
  );
}

export function specFromOptions(o: Record<string, unknown>): RunSpec {
  return withOptionNames(() =>
    parseRunSpec(
      { mode: o.mode, path: o.path, sink: o.sink, sizeBytes: o.size, chunkBytes: o.chunk, cache: o.cache, engine: o.engine, duration: o.duration, rate: o.rate },
      'options',
    ),
  );
}

/** A message for a CLI user: the RunSpec's field names in it (`larger than sizeBytes`) as the options that set them (`--size`). */
export function optionNamesIn(message: string, optionOf: Record<string, string> = OPTION_OF_FIELD): string {
  return message
    .replace(/\b(sizeBytes|chunkBytes)\b/g, (f) => optionOf[f] ?? f)
    .replace(/\bleave (\w+) out\b/g, (m, f: string) => (optionOf[f] ? `leave ${optionOf[f]} out` : m));
}

/** Runs a parse, naming the bad fields by their options (--size, not sizeBytes). */
export function withOptionNames<T>(parse: () => T, optionOf: Record<string, string> = OPTION_OF_FIELD): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof InputError)
      throw new InputError(e.issues.map((i) => ({ field: optionOf[i.field] ?? i.field, message: optionNamesIn(i.message, optionOf) })), 'options');
    throw e;
  }
}
