// Matrix files: validated by the RunSpec schema field by field and cell by
// cell; errors name the file, the JSON path and the allowed values; a bad
// file exits 2 and runs nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODE_NAMES, PATH_NAMES } from '../scenarios/catalog.js';
import { DIST, ROOT } from '../server/project.js';
import { cellId, loadMatrixFile, MATRIX_LIMITS, parseMatrix, plannedRuns, RUN_SPEC_FIELDS } from '../server/schema/matrix.js';
import { MAX_JSON_DEPTH } from '../server/schema/json-guard.js';
import { InputError, parseRunSpec, RunSpecSchema } from '../server/schema/run-spec.js';

const MODES = MODE_NAMES.join(', ');
const FIELDS = RUN_SPEC_FIELDS.join(', ');

function issues(input: unknown): { field: string; message: string }[] {
  try {
    parseMatrix(input, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).issues;
  }
  throw new Error('the matrix was accepted');
}

const ok = { name: 'm', base: { sizeBytes: '1MiB' }, axes: { mode: ['read-write', 'sendfile'] } };

describe('matrix schema', () => {
  it('derives its axis names from the RunSpec schema', () => {
    expect(RUN_SPEC_FIELDS).toEqual(Object.keys(RunSpecSchema.out.shape));
    expect(RUN_SPEC_FIELDS).toEqual(expect.arrayContaining(['mode', 'path', 'sink', 'sizeBytes', 'chunkBytes', 'cache']));
  });

  it('expands the cross product, first axis slowest, with defaults and normalized values', () => {
    const m = parseMatrix({ name: 'x', base: { sizeBytes: '4MiB' }, axes: { mode: ['read-write', 'sendfile'], chunkBytes: ['16KiB', 131072] } });
    expect(m.repetitions).toBe(3);
    expect(m.warmup).toBe(1);
    expect(m.cells.map((c) => [c.spec.mode, c.spec.chunkBytes])).toEqual([
      ['read-write', 16384], ['read-write', 131072], ['sendfile', 16384], ['sendfile', 131072],
    ]);
    // Every field the axes and base leave out gets the RunSpec schema's default.
    expect(m.cells[0].spec).toEqual(parseRunSpec({ mode: 'read-write', sizeBytes: 4 * 2 ** 20, chunkBytes: 16384 }));
    expect(m.cells[0].spec).toMatchObject({ path: 'loopback', sink: 'read', cache: 'warm' });
    expect(m.cells[0].axes).toEqual({ mode: 'read-write', chunkBytes: 16384 });
    expect(new Set(m.cells.map((c) => c.id)).size).toBe(4);
    expect(m.cells[0].id).toBe(cellId(m.cells[0].spec));
    expect(plannedRuns(m)).toBe(16);
  });

  it('takes every RunSpec field as an axis, with the values its schema allows', () => {
    // The optional fields (absent by default: one pass, unlimited) with a value of their own.
    const defaults: Record<string, unknown> = { ...(parseRunSpec({ sizeBytes: '1MiB' }) as unknown as Record<string, unknown>), duration: 1.5, rate: 4 * 2 ** 20 };
    for (const field of RUN_SPEC_FIELDS) {
      const m = parseMatrix({ name: 'x', base: field === 'sizeBytes' ? {} : { sizeBytes: '1MiB' }, axes: { [field]: [defaults[field]] } });
      expect(m.cells.map((c) => (c.spec as unknown as Record<string, unknown>)[field]), field).toEqual([defaults[field]]);
      expect(issues({ name: 'x', axes: { [field]: [{}] } })[0].field, field).toBe(`axes.${field}[0]`);
    }
  });

  it('takes duration and rate as axes: 0 is one pass, unlimited', () => {
    const m = parseMatrix({ name: 'x', base: { sizeBytes: '1MiB' }, axes: { duration: [0, '10s'], rate: [0, '50MiB/s'] } });
    expect(m.cells.map((c) => [c.spec.duration, c.spec.rate])).toEqual([[undefined, undefined], [undefined, 50 * 2 ** 20], [10, undefined], [10, 50 * 2 ** 20]]);
    expect(issues({ name: 'x', axes: { rate: ['fast'] } })).toEqual([{ field: 'axes.rate[0]', message: expect.stringMatching(/'fast' is not a rate/) }]);
    expect(issues({ name: 'x', axes: { mode: ['nginx-copy'], duration: ['5s'] } })[0]).toMatchObject({ field: expect.stringMatching(/axes\.duration|duration/), message: expect.stringMatching(/cannot time it/) });
  });

  it('gives sendfile-nogather its path when neither base nor axes set one', () => {
    const m = parseMatrix({ name: 'x', axes: { mode: ['sendfile', 'sendfile-nogather'] } });
    expect(m.cells.map((c) => c.spec.path)).toEqual(['loopback', 'veth-nosg']);
  });

  it('names an unknown axis and lists the RunSpec fields', () => {
    expect(issues({ ...ok, axes: { mode: ['sendfile'], colour: ['blue'] } })).toEqual([
      { field: 'axes.colour', message: expect.stringContaining(`unknown axis 'colour'; allowed: ${FIELDS}`) },
    ]);
  });

  it('names a bad value by its JSON path with the allowed values', () => {
    const r = issues({ ...ok, axes: { mode: ['read-write', 'sendfile', 'teleport'] } });
    expect(r).toEqual([{ field: 'axes.mode[2]', message: `'teleport' is not allowed; allowed: ${MODES}` }]);
    const s = issues({ ...ok, axes: { chunkBytes: ['64KiB', 'lots'] } });
    expect(s[0].field).toBe('axes.chunkBytes[1]');
    expect(s[0].message).toMatch(/'lots' is not a size; write a whole number of bytes/);
    const t = issues({ ...ok, axes: { path: ['loopback', 7] } });
    expect(t).toEqual([{ field: 'axes.path[1]', message: `'7' is not allowed; allowed: ${PATH_NAMES.join(', ')}` }]);
  });

  it('refuses an empty axis and says what it allows', () => {
    expect(issues({ ...ok, axes: { mode: [] } })).toEqual([{ field: 'axes.mode', message: `is empty; give at least one value; allowed: ${MODES}` }]);
    expect(issues({ ...ok, axes: { sizeBytes: [] } })[0].message).toMatch(/^is empty; .*allowed: a whole number of bytes/);
  });

  it('refuses a combination that is no valid run, naming the axis value and how to leave it out', () => {
    const r = issues({ name: 'x', base: { sizeBytes: '1MiB' }, axes: { mode: ['sendfile', 'sendfile-nogather'], path: ['veth', 'veth-nosg'] } });
    expect(r).toHaveLength(1);
    expect(r[0].field).toBe('axes.path[0]');
    expect(r[0].message).toMatch(/mode sendfile-nogather runs on path veth-nosg/);
    expect(r[0].message).toMatch(/"exclude": \[\{"mode": "sendfile-nogather", "path": "veth"\}\]/);
    const c = issues({ name: 'x', base: { sizeBytes: '64KiB' }, axes: { chunkBytes: ['16KiB', '1MiB'] } });
    expect(c).toEqual([{ field: 'axes.chunkBytes[1]', message: expect.stringMatching(/1 MiB is larger than sizeBytes \(64 KiB\); allowed: 1 B to sizeBytes/) }]);
  });

  it('exclude leaves out combinations; include adds cells', () => {
    const m = parseMatrix({
      name: 'x',
      axes: { mode: ['read-write', 'sendfile', 'sendfile-nogather'], path: ['veth', 'veth-nosg'] },
      exclude: [{ mode: 'sendfile-nogather', path: 'veth' }],
      include: [{ mode: 'splice', path: 'loopback', sizeBytes: '2MiB' }],
    });
    expect(m.cells.map((c) => `${c.spec.mode}/${c.spec.path}`)).toEqual([
      'read-write/veth', 'read-write/veth-nosg', 'sendfile/veth', 'sendfile/veth-nosg', 'sendfile-nogather/veth-nosg', 'splice/loopback',
    ]);
    expect(m.cells[5].from).toBe('include[0]');
    expect(m.cells[5].spec.sizeBytes).toBe(2 * 2 ** 20);
  });

  it('checks base, include and exclude entries with the same schema', () => {
    expect(issues({ ...ok, base: { mode: 'sendfile', speed: 'fast' } })).toEqual(
      expect.arrayContaining([{ field: 'base.speed', message: `unknown field 'speed'; allowed: ${FIELDS}` }]),
    );
    expect(issues({ ...ok, base: { cache: 'lukewarm' } })).toEqual([{ field: 'base.cache', message: "'lukewarm' is not allowed; allowed: warm, cold" }]);
    expect(issues({ ...ok, exclude: [{ path: 'veth' }] })).toEqual([{ field: 'exclude[0].path', message: "unknown axis 'path'; allowed: mode" }]);
    expect(issues({ ...ok, include: [{ mode: 'warp' }] })).toEqual([{ field: 'include[0].mode', message: `'warp' is not allowed; allowed: ${MODES}` }]);
  });

  it('refuses repeated values, a field in both base and axes, and the same run twice', () => {
    expect(issues({ ...ok, axes: { mode: ['sendfile', 'sendfile'] } })).toEqual([{ field: 'axes.mode[1]', message: 'repeats axes.mode[0] ("sendfile"); each value once' }]);
    expect(issues({ ...ok, base: { mode: 'splice' } })[0]).toEqual({ field: 'base.mode', message: 'is also an axis; set it in base or in axes, not both' });
    expect(issues({ ...ok, include: [{ mode: 'sendfile' }] })[0].message).toMatch(/makes the same run as the axes cell/);
  });

  it('checks the file shape: name, repetitions, warmup, unknown keys, no cells', () => {
    expect(issues({ axes: { mode: ['sendfile'] } })).toEqual([{ field: 'name', message: expect.stringMatching(/^is required/) }]);
    expect(issues({ ...ok, name: 'no spaces please' })[0]).toEqual({ field: 'name', message: expect.stringMatching(/allowed: 1 to 64 letters/) });
    expect(issues({ ...ok, repetitions: 0 })).toEqual([{ field: 'repetitions', message: 'allowed: 1 to 1000' }]);
    expect(issues({ ...ok, warmup: 1.5 })).toEqual([{ field: 'warmup', message: 'must be a whole number; allowed: 0 to 100' }]);
    expect(issues({ ...ok, axis: {} })).toEqual([
      { field: '(root)', message: "unknown field(s) 'axis'; allowed: name, description, base, axes, include, exclude, repetitions, warmup" },
    ]);
    expect(issues({ name: 'x', axes: {} })[0].message).toMatch(/no cells to run/);
    expect(issues({ ...ok, axes: { mode: 'sendfile' } })).toEqual([{ field: 'axes.mode', message: expect.stringMatching(/must be a list of values/) }]);
  });

  it('refuses a matrix past the limits from its lengths, before building a cell (issue 11)', () => {
    // 300 x 300 x 300 x 300 = 8.1e9 cells in a few KB: refused without building them (that took minutes and ran out of memory).
    const values = (from: number) => Array.from({ length: 300 }, (_, i) => from + i);
    const huge = { name: 'huge', axes: { sizeBytes: values(1 << 20), chunkBytes: values(4096), mode: [...MODE_NAMES], cache: ['warm', 'cold'] } };
    const cells = 300 * 300 * MODE_NAMES.length * 2;
    expect(issues(huge)).toEqual([{ field: 'axes', message: `make ${cells} cells (300 x 300 x ${MODE_NAMES.length} x 2); allowed: at most ${MATRIX_LIMITS.maxCells}` }]);
    // Include entries count; exclude is said (it is applied cell by cell, after this count).
    expect(issues({ name: 'x', axes: { sizeBytes: values(1 << 20).slice(0, 100), chunkBytes: values(4096).slice(0, 100) }, include: [{ mode: 'splice' }], exclude: [{ chunkBytes: 4096 }] })).toEqual([
      { field: 'axes', message: `make 10001 cells (100 x 100 + 1 include, before exclude); allowed: at most ${MATRIX_LIMITS.maxCells}` },
    ]);
    // At the limit it is built.
    expect(parseMatrix({ name: 'x', axes: { sizeBytes: values(1 << 20).slice(0, 100), chunkBytes: values(4096).slice(0, 100) }, repetitions: 1, warmup: 0 }).cells).toHaveLength(MATRIX_LIMITS.maxCells);
    // Runs: cells x (repetitions + warmup).
    expect(issues({ name: 'x', axes: { sizeBytes: values(1 << 20).slice(0, 200) }, repetitions: 1000, warmup: 100 })).toEqual([
      { field: 'repetitions', message: `200 cells x (1000 repetitions + 100 warmup) = 220000 runs; allowed: at most ${MATRIX_LIMITS.maxRuns}` },
    ]);
    // Counts past exact integers still say a number (the size is checked before the values).
    const absurd = { name: 'x', axes: Object.fromEntries(RUN_SPEC_FIELDS.map((f) => [f, values(1)])) };
    expect(issues(absurd)).toEqual([{ field: 'axes', message: expect.stringMatching(/^make about \d\.\d\de\+\d+ cells \(300 x 300 x .*\); allowed: at most 10000$/) }]);
  });

  it('a prototype key anywhere is refused naming where, never dropped (JSON.parse keeps __proto__ as an own key; a zod record drops it)', () => {
    const parsed = JSON.parse('{"__proto__":{"mode":"nope"}}');
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    const m = (extra: string) => JSON.parse(`{"name":"x","axes":{"mode":["read-write","sendfile"]},${extra}}`);
    expect(issues(m('"base":{"__proto__":{"mode":"nope"}}'))).toEqual([{ field: 'base.__proto__', message: `unknown field '__proto__'; allowed: ${FIELDS}` }]);
    expect(issues(m('"base":{"sizeBytes":"1MiB","__proto__":{}}'))).toEqual([{ field: 'base.__proto__', message: `unknown field '__proto__'; allowed: ${FIELDS}` }]);
    expect(issues(JSON.parse('{"name":"x","axes":{"__proto__":["read-write"],"mode":["sendfile"]}}'))).toEqual([
      { field: 'axes.__proto__', message: `unknown axis '__proto__'; allowed: ${FIELDS}` },
    ]);
    expect(issues(m('"include":[{"mode":"splice"},{"__proto__":{"mode":"splice"}}]'))).toEqual([{ field: 'include[1].__proto__', message: `unknown field '__proto__'; allowed: ${FIELDS}` }]);
    expect(issues(m('"exclude":[{"__proto__":{"mode":"sendfile"}}]'))).toEqual([{ field: 'exclude[0].__proto__', message: "unknown field '__proto__'; allowed: mode" }]);
    expect(issues(JSON.parse('{"name":"x","axes":{"mode":["sendfile"]},"__proto__":{"repetitions":1}}'))).toEqual([
      { field: '__proto__', message: "unknown field '__proto__'; allowed: name, description, base, axes, include, exclude, repetitions, warmup" },
    ]);
    for (const key of ['constructor', 'prototype']) {
      expect(issues(m(`"base":{"${key}":{"mode":"nope"}}`)), key).toEqual([{ field: `base.${key}`, message: `unknown field '${key}'; allowed: ${FIELDS}` }]);
      expect(issues(m(`"include":[{"${key}":1}]`)), key).toEqual([{ field: `include[0].${key}`, message: `unknown field '${key}'; allowed: ${FIELDS}` }]);
    }
    // Deeper, inside a value: named too.
    expect(issues(m('"base":{"mode":{"__proto__":"x"}}'))).toEqual([{ field: 'base.mode.__proto__', message: "unknown field '__proto__'; a prototype key is never a field" }]);
  });

  it('nesting past the depth limit is refused naming the limit, without recursing (100,000 deep)', () => {
    const deep = (n: number) => JSON.parse('['.repeat(n) + ']'.repeat(n));
    const message = `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; allowed: at most ${MAX_JSON_DEPTH} levels (the depth limit)`;
    expect(issues({ name: 'x', axes: { mode: deep(100_000) } })).toEqual([{ field: 'axes.mode[0][0]…', message }]);
    expect(issues({ name: 'x', axes: { mode: ['read-write'] }, base: { mode: JSON.parse('{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)) } })).toEqual([{ field: 'base.mode.a.a…', message }]);
    expect(issues({ name: 'x', axes: { mode: [deep(MAX_JSON_DEPTH)] } })).toEqual([{ field: 'axes.mode[0][0]…', message }]);
    // At the limit it is a plain schema error.
    expect(issues({ name: 'x', axes: { mode: [deep(MAX_JSON_DEPTH - 3)] } })[0]).toMatchObject({ field: 'axes.mode[0]' });
    // A run spec too.
    expect(() => parseRunSpec({ mode: deep(10_000) })).toThrow(/mode\.0\.0\.0…: nests objects and arrays more than 32 levels deep/);
    expect(() => parseRunSpec(JSON.parse('{"__proto__":{"mode":"nope"}}'))).toThrow(/__proto__: unknown field '__proto__'; allowed: mode, path/);
  });

  it('a file that starts with a UTF-8 byte-order mark is read without it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zcl-bom-'));
    try {
      const file = join(dir, 'bom.json');
      writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(ok))]));
      expect(loadMatrixFile(file).cells).toHaveLength(2);
      writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ ...ok, axes: { mode: ['nope'] } }))]));
      expect(() => loadMatrixFile(file)).toThrow(/axes\.mode\[0\]: 'nope' is not allowed/);
      writeFileSync(file, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(ok), 'utf16le')]));
      expect(() => loadMatrixFile(file)).toThrow(/\(file\): starts with a UTF-16 byte-order mark: matrix files are UTF-8/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every shipped scenario is valid', () => {
    const dir = join(ROOT, 'scenarios');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files).toEqual(expect.arrayContaining(['seed-comparison.json', 'chunk-sweep.json', 'cold-vs-warm.json', 'zerocopy.json', 'node-vs-native.json']));
    for (const f of files) {
      const m = loadMatrixFile(join(dir, f));
      expect(m.cells.length, f).toBeGreaterThan(0);
    }
    const seeds = loadMatrixFile(join(dir, 'seed-comparison.json'));
    expect(seeds.cells.map((c) => `${c.spec.mode}/${c.spec.path}`)).toEqual(
      expect.arrayContaining(['read-write/veth', 'read-write/veth-nosg', 'sendfile-nogather/veth-nosg', 'sendfile/veth', 'sendfile/veth-nosg', 'mmap-write/veth-nosg', 'splice/veth']),
    );
    expect(seeds.cells.some((c) => c.spec.mode === 'sendfile-nogather' && c.spec.path === 'veth')).toBe(false);
    // Long enough for steady CPU figures: timed runs of 2 s (issue 14); a cold cache and a size sweep stay one pass, app modes cannot be timed.
    for (const f of ['seed-comparison.json', 'chunk-sweep.json', 'node-vs-native.json']) expect(loadMatrixFile(join(dir, f)).cells.every((c) => c.spec.duration === 2), f).toBe(true);
    for (const f of ['cold-vs-warm.json', 'zerocopy.json', 'seed-apps.json', 'test-small.json']) expect(loadMatrixFile(join(dir, f)).cells.every((c) => c.spec.duration === undefined), f).toBe(true);
  });
});

describe('zcl report with a bad matrix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zcl-matrix-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const zcl = join(DIST, 'server', 'cli', 'zcl.js');
  const report = (name: string, content: string) => {
    const file = join(dir, name);
    writeFileSync(file, content);
    const out = join(dir, `out-${name}`);
    const r = spawnSync(process.execPath, [zcl, 'report', file, '--out', out], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr, file, outDir: out };
  };

  it.each([
    ['unknown-axis.json', { ...ok, axes: { mode: ['sendfile'], colour: ['blue'] } }, 'axes.colour', `allowed: ${FIELDS}`],
    ['bad-value.json', { ...ok, axes: { mode: ['read-write', 'sendfile', 'teleport'] } }, 'axes.mode[2]', `'teleport' is not allowed; allowed: ${MODES}`],
    ['empty-axis.json', { ...ok, axes: { mode: ['sendfile'], chunkBytes: [] } }, 'axes.chunkBytes', 'is empty; give at least one value; allowed: a whole number of bytes'],
    ['bad-combination.json', { ...ok, axes: { mode: ['sendfile-nogather'], path: ['veth'] } }, 'axes.path[0]', 'runs on path veth-nosg'],
  ])('%s exits 2 naming the file, the JSON path and the allowed values, and runs nothing', (name, matrix, path, message) => {
    const r = report(name, JSON.stringify(matrix, null, 2));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`invalid ${r.file}`);
    expect(r.err).toContain(`${path}: `);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
    expect(existsSync(r.outDir)).toBe(false);
  });

  it('a matrix of millions of cells exits 2 naming the field, the count and the limit, and runs nothing', () => {
    const values = (from: number) => Array.from({ length: 300 }, (_, i) => from + i);
    const r = report('huge.json', JSON.stringify({ name: 'huge', axes: { sizeBytes: values(1 << 20), chunkBytes: values(4096), mode: [...MODE_NAMES] } }));
    expect(r.code).toBe(2);
    expect(r.err).toContain(`invalid ${r.file}`);
    expect(r.err).toContain(`axes: make ${300 * 300 * MODE_NAMES.length} cells`);
    expect(r.err).toContain(`at most ${MATRIX_LIMITS.maxCells}`);
    expect(existsSync(r.outDir)).toBe(false);
  });

  it('a file that is not JSON exits 2 with the line and column', () => {
    const r = report('broken.json', '{\n  "name": "m",\n  "axes": { "mode": ["sendfile",] }\n}\n');
    expect(r.code).toBe(2);
    expect(r.err).toContain(`invalid ${r.file}`);
    expect(r.err).toMatch(/\(json\): not valid JSON \(line 3, column \d+\)/);
    expect(existsSync(r.outDir)).toBe(false);
  });

  it('prototype keys exit 2 naming the field, and run nothing (they were silently dropped: exit 0)', () => {
    for (const [name, text, field] of [
      ['proto-base.json', '{"name":"x","base":{"__proto__":{"mode":"nope"}},"axes":{"mode":["read-write"]}}', 'base.__proto__'],
      ['proto-axes.json', '{"name":"x","axes":{"__proto__":["read-write"],"mode":["sendfile"]}}', 'axes.__proto__'],
      ['proto-include.json', '{"name":"x","axes":{"mode":["read-write"]},"include":[{"__proto__":{"mode":"nope"}}]}', 'include[0].__proto__'],
      ['proto-exclude.json', '{"name":"x","axes":{"mode":["read-write","sendfile"]},"exclude":[{"__proto__":{"mode":"sendfile"}}]}', 'exclude[0].__proto__'],
    ]) {
      const r = report(name, text);
      expect(r.code, name).toBe(2);
      expect(r.err, name).toContain(`${field}: unknown `);
      expect(r.err, name).toContain("'__proto__'; allowed: ");
      expect(existsSync(r.outDir), name).toBe(false);
    }
    const dry = spawnSync(process.execPath, [zcl, 'report', '--dry-run', join(dir, 'proto-base.json')], { encoding: 'utf8' });
    expect(dry.status).toBe(2);
  });

  it('a file nested 100,000 deep exits 2 naming the depth limit (it overflowed the stack: exit 1)', () => {
    const n = 100_000;
    const valid = report('deep.json', `{"name":"x","axes":{"mode":${'['.repeat(n)}${']'.repeat(n)}}}`);
    expect(valid.code).toBe(2);
    expect(valid.err).toContain(`axes.mode[0][0]…: nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
    expect(valid.err).not.toMatch(/call stack/);
    const broken = report('deep-broken.json', `{"name":"x","axes":{"mode":${'['.repeat(n)}}}`);
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(new RegExp(`\\(json\\): not valid JSON: it nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep \\(line 1, column \\d+\\); allowed: at most ${MAX_JSON_DEPTH}`));
    const objects = report('deep-objects.json', `{"name":"x","base":${'{"a":'.repeat(n / 2)}1${'}'.repeat(n / 2)},"axes":{"mode":["read-write"]}}`);
    expect(objects.code).toBe(2);
    expect(objects.err).toContain('base.a.a.a…: nests objects and arrays');
  });

  it('a UTF-8 byte-order mark at the start is not a JSON error', () => {
    const r = spawnSync(process.execPath, [zcl, 'report', '--dry-run', (() => {
      const file = join(dir, 'bom.json');
      writeFileSync(file, '\ufeff' + JSON.stringify(ok));
      return file;
    })()], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('m: 2 cells');
  });

  it('a missing file exits 2', () => {
    const r = spawnSync(process.execPath, [zcl, 'report', join(dir, 'nope.json')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nope\.json:\n {2}\(file\): cannot read it/);
  });
});
