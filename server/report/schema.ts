// The schema of results.json, built from the lab's schemas: the RunSpec fields
// from the RunSpec schema (so a new field such as `engine` is checked here too),
// the counters from the generated counter schema, and compile-time checks that
// the RunResult schema has exactly the RunResult interface's fields.
import { z } from 'zod';
import { COUNTER_NAMES } from '../probes/schema.generated.js';
import type { RunResult } from '../run/result.js';
import { RUN_SPEC_FIELDS } from '../schema/matrix.js';
import { RunSpecSchema, type RunSpec } from '../schema/run-spec.js';

export const RESULTS_FORMAT = 'zerocopy-lab/report-results@1';

const FIELD_SCHEMAS = RunSpecSchema.out.shape as Record<string, z.ZodType>;
/** A RunSpec field's schema without its default: results must say every field. */
const required = (s: z.ZodType): z.ZodType => {
  let x = s as z.ZodType & { def: { type: string; innerType?: z.ZodType } };
  while (x.def.type === 'default') x = x.def.innerType as typeof x;
  return x;
};
/** The RunSpec fields a result may leave out (absent: a one-pass, unpaced run). */
type OptionalSpecField = 'duration' | 'rate';
const specShape = Object.fromEntries(RUN_SPEC_FIELDS.map((f) => [f, required(FIELD_SCHEMAS[f])])) as Record<Exclude<keyof RunSpec, OptionalSpecField>, z.ZodType> &
  Record<OptionalSpecField, z.ZodOptional<z.ZodType>>;

const num = z.number();
const count = z.number().nonnegative();
const nnum = z.number().nullable();
const syscalls = z.record(z.string(), z.number().int().nonnegative());

const CountersSchema = z.object(Object.fromEntries(COUNTER_NAMES.map((n) => [n, count.nullable()])) as Record<(typeof COUNTER_NAMES)[number], z.ZodNullable<z.ZodNumber>>).strict();

const DerivedSchema = z
  .object({
    cpu_copy_bytes: nnum,
    cpu_copies_per_byte: nnum,
    per_mib: z.record(z.string(), nnum),
    syscalls_per_chunk: nnum,
    mode_switches_per_chunk: nnum,
  })
  .strict();

const RoleSchema = z.object({ counters: CountersSchema, syscalls, derived: DerivedSchema }).strict();

export const ProbeResultSchema = z
  .object({
    status: z.enum(['ok', 'unavailable', 'off']),
    engine: z.string(),
    reason: z.string().optional(),
    tier: z.string().optional(),
    sources: z.record(z.string(), z.string().nullable()).optional(),
    sender: RoleSchema.optional(),
    sink: RoleSchema.optional(),
    missedEvents: z.number().int().nonnegative().optional(),
  })
  .strict();

export const TextbookRowSchema = z
  .object({
    expected: z.object({ cpuCopies: num, modeSwitchesPerChunk: num, note: z.string() }).strict(),
    measured: z.object({ cpuCopies: nnum, modeSwitchesPerChunk: nnum }).strict(),
    verdict: z.enum(['matches', 'differs', 'unmeasured']),
    reason: z.string().optional(),
  })
  .strict();

export const RunResultSchema = z
  .object({
    ...specShape,
    id: z.string().min(1),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime(),
    kernel: z.string(),
    bytes: count,
    chunks: z.number().int().positive(),
    passes: z.number().int().nonnegative().optional(),
    tailBytes: count.optional(),
    pacedSeconds: count.optional(),
    wallSeconds: z.number().positive(),
    throughputMiBps: z.number().positive(),
    sender: z
      .object({
        pid: z.number().int(),
        engine: z.enum(['native', 'node', 'app']),
        cpuUserSeconds: count,
        cpuSysSeconds: count,
        cpuScope: z.enum(['thread', 'process', 'tree']),
        cpuSecondsPerGiB: count,
        syscalls,
      })
      .strict(),
    receiver: z
      .object({
        pid: z.number().int(),
        bytes: count,
        checksumOk: z.boolean().nullable(),
        cpuUserSeconds: count,
        cpuSysSeconds: count,
        wallSeconds: count,
        syscalls,
        socketSplices: count.optional(),
        zerocopyReceive: z.object({ calls: count, mappedBytes: count, copiedBytes: count }).strict().optional(),
      })
      .strict(),
    app: z
      .object({ name: z.string(), program: z.string(), protocol: z.enum(['tcp', 'http']), pid: z.number().int(), tree: z.array(z.number().int()), headerBytes: count })
      .strict()
      .optional(),
    zerocopy: z.object({ sends: count, completions: count, copiedCompletions: count, copiedBytes: count }).strict().optional(),
    uring: z.object({ enters: count, sqes: count, sends: count }).strict().optional(),
    tls: z
      .object({
        version: z.literal('TLS 1.3'), cipher: z.literal('AES-GCM-128'), recordOverheadBytes: z.literal(22), maxRecordBytes: z.literal(16384),
        stat: z.record(z.string(), z.number().int()).nullable(),
      })
      .strict()
      .optional(),
    file: z.object({ path: z.string(), checksum: z.string(), pagesCachedBefore: count, pages: count }).strict(),
    device: z.object({ name: z.string(), netns: z.string().optional(), scatterGather: z.boolean() }).strict(),
    machine: z
      .object({
        cpus: z.number().int().positive(),
        seconds: count,
        steal: count.max(1),
        busy: count.max(1),
        otherCpus: count,
        load1: z.object({ start: count, end: count }).strict(),
      })
      .strict()
      .optional(),
    probes: ProbeResultSchema.optional(),
    textbook: TextbookRowSchema.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    // The spec part is a valid RunSpec as a whole (cross-field rules too).
    const spec = Object.fromEntries(RUN_SPEC_FIELDS.map((f) => [f, (r as Record<string, unknown>)[f]]));
    const s = RunSpecSchema.safeParse(spec);
    if (!s.success) for (const iss of s.error.issues) ctx.addIssue({ code: 'custom', path: iss.path as (string | number)[], message: iss.message });
    const size = (r as Record<string, unknown>).sizeBytes as number;
    if ((r as Record<string, unknown>).duration === undefined) {
      if (r.bytes !== size) ctx.addIssue({ code: 'custom', path: ['bytes'], message: 'a finished run moved exactly sizeBytes' });
    } else if (r.bytes !== (r.passes ?? 0) * size + (r.tailBytes ?? 0))
      ctx.addIssue({ code: 'custom', path: ['bytes'], message: 'a finished timed run moved exactly passes x sizeBytes + tailBytes' });
  });

// The RunResult schema and the RunResult interface have the same fields, and a RunResult passes it.
type Assert<T extends true> = T;
type SchemaOut = z.output<typeof RunResultSchema>;
export type RunResultSchemaFitsInterface = Assert<RunResult extends SchemaOut ? true : false>;
export type RunResultSchemaHasEveryField = Assert<Exclude<keyof RunResult, keyof SchemaOut> extends never ? true : false>;
export type RunResultInterfaceHasEveryField = Assert<Exclude<keyof SchemaOut, keyof RunResult | (typeof RUN_SPEC_FIELDS)[number]> extends never ? true : false>;

const StatSchema = z.object({ median: num, min: num, max: num, n: z.number().int().positive() }).strict().nullable();
const statsRecord = z.record(z.string(), StatSchema);

const CellSummarySchema = z
  .object({
    n: z.number().int().nonnegative(),
    throughputMiBps: StatSchema,
    gbitps: StatSchema,
    wallSeconds: StatSchema,
    cpuSecondsPerGiB: StatSchema,
    sinkCpuSecondsPerGiB: StatSchema,
    copiesPerByte: StatSchema,
    modeSwitchesPerChunk: StatSchema,
    syscallsPerChunk: StatSchema,
    sinkCopiesPerByte: StatSchema,
    diskPerByte: StatSchema,
    devicePerByte: StatSchema,
    perMiB: z.object({ sender: statsRecord, sink: statsRecord }).strict(),
    verdict: z
      .object({
        verdict: z.enum(['matches', 'differs', 'unmeasured']),
        counts: z.object({ matches: count, differs: count, unmeasured: count }).strict(),
        expected: TextbookRowSchema.shape.expected,
        reason: z.string().optional(),
      })
      .strict()
      .nullable(),
    steal: StatSchema,
    otherCpus: StatSchema,
    spread: z.object({ reason: z.string() }).strict().nullable(),
    device: z.object({ name: z.string(), netns: z.string().optional(), scatterGather: z.boolean() }).strict().nullable(),
    probes: z.object({ status: z.string(), engine: z.string(), tier: z.string().optional(), reason: z.string().optional() }).strict().nullable(),
  })
  .strict();

const RunEntrySchema = z.discriminatedUnion('ok', [
  z.object({ rep: z.number().int().positive(), ok: z.literal(true), at: z.iso.datetime(), result: RunResultSchema }).strict(),
  z
    .object({
      rep: z.number().int().positive(),
      ok: z.literal(false),
      at: z.iso.datetime(),
      warmup: z.boolean(),
      error: z.object({ name: z.string(), message: z.string() }).strict(),
    })
    .strict(),
]);

export const EnvironmentSchema = z
  .object({
    capturedAt: z.iso.datetime(),
    kernel: z.object({ release: z.string(), version: z.string() }).strict(),
    os: z.string().nullable(),
    arch: z.string(),
    cpu: z.object({ model: z.string(), cores: z.number().int().positive(), mhz: z.number().nullable() }).strict(),
    memoryBytes: count,
    virtualization: z.string().nullable(),
    probes: z.array(
      z
        .object({
          status: z.enum(['ok', 'unavailable', 'off']),
          engine: z.string(),
          tier: z.string().nullable(),
          reason: z.string().optional(),
          sources: z.record(z.string(), z.string().nullable()).optional(),
        })
        .strict(),
    ),
    versions: z
      .object({
        zerocopyLab: z.string(),
        node: z.string(),
        libbpf: z.string().nullable(),
        bpftrace: z.string().nullable(),
        clang: z.string().nullable(),
        chartjs: z.string().nullable(),
      })
      .strict(),
    git: z.object({ commit: z.string(), dirty: z.boolean() }).strict().nullable(),
  })
  .strict();

export const ResultsFileSchema = z
  .object({
    format: z.literal(RESULTS_FORMAT),
    generatedAt: z.iso.datetime(),
    status: z.enum(['complete', 'failed', 'interrupted']),
    matrix: z
      .object({
        name: z.string(),
        description: z.string(),
        source: z.string().optional(),
        base: z.record(z.string(), z.unknown()),
        axes: z.record(z.string(), z.array(z.unknown())),
        include: z.array(z.record(z.string(), z.unknown())),
        exclude: z.array(z.record(z.string(), z.unknown())),
        repetitions: z.number().int().positive(),
        warmup: z.number().int().nonnegative(),
      })
      .strict(),
    environment: EnvironmentSchema,
    totals: z
      .object({
        cells: count, runs: count, runsDone: count, runsPlanned: count, runsOk: count, runsFailed: count, cellsDone: count, cellsFailed: count, cellsRefused: count.optional(), cellsPending: count,
      })
      .strict(),
    cells: z.array(
      z
        .object({
          id: z.string().regex(/^[0-9a-f]{12}$/),
          index: z.number().int().nonnegative(),
          label: z.string(),
          from: z.string(),
          spec: z.object(specShape).strict(),
          axes: z.object(Object.fromEntries(RUN_SPEC_FIELDS.map((f) => [f, specShape[f as keyof RunSpec].optional()]))).strict(),
          status: z.enum(['done', 'failed', 'refused', 'partial', 'pending']),
          refused: z.string().optional(),
          summary: CellSummarySchema,
          runs: z.array(RunEntrySchema),
        })
        .strict(),
    ),
  })
  .strict();

export type ResultsFile = z.output<typeof ResultsFileSchema>;
