// Facts about this machine that decide what may run, checked before anything
// starts: below every entry point (cli, api, live), so none can skip them.
import type { RunSpec } from '../schema/run-spec.js';
import { InputError } from './errors.js';

export const isRoot = (): boolean => process.getuid?.() === 0;

/** Privileges a spec needs that this process lacks, each said with its fix. */
export function privilegeProblems(spec: Pick<RunSpec, 'path'>): string[] {
  if (spec.path !== 'loopback' && !isRoot())
    return [`--path ${spec.path} creates network namespaces and a veth pair, which needs root (CAP_NET_ADMIN); run as root, or use --path loopback`];
  return [];
}

/** The problems of many specs (a matrix's cells), each said once with its cell's label. */
export function privilegeProblemsOf(cells: { label: string; spec: Pick<RunSpec, 'path'> }[]): string[] {
  return [...new Set(cells.flatMap(({ label, spec }) => privilegeProblems(spec).map((m) => `${label}: ${m}`)))];
}

/** Throws InputError (field `path`, or `fieldName`) when a spec cannot run here. */
export function assertRunnable(spec: Pick<RunSpec, 'path'>, source = 'run spec', fieldName = 'path'): void {
  const problems = privilegeProblems(spec);
  if (problems.length) throw new InputError(problems.map((message) => ({ field: fieldName, message })), source);
}
