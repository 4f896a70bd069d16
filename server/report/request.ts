// A report request resolved against what exists: the shipped scenario it
// names (or its inline matrix, validated), whether this machine can run every
// cell, and the report it resumes. Its shape is checked by its schema
// (schema/report-request.ts); every error is an InputError ('report request')
// naming the field (a JSON path inside the matrix: matrix.axes.mode[2]).
import { InputError } from '../core/errors.js';
import { privilegeProblemsOf } from '../core/machine.js';
import { parseMatrix, type Matrix } from '../schema/matrix.js';
import { parseReportRequestBody } from '../schema/report-request.js';
import type { ReportRecord } from './record.js';
import { loadScenario, type ScenarioInfo } from './scenarios.js';

export interface ReportRequest {
  matrix: Matrix;
  scenario?: string;
  /** Continue this report (its directory) instead of starting a new one. */
  resumeId?: string;
}

export interface RequestContext {
  scenariosDir: string;
  scenarios: ScenarioInfo[];
  /** The reports there are, newest first. */
  reports(): ReportRecord[];
}

const fail = (field: string, message: string) => new InputError([{ field, message }], 'report request');

/** Validates a POST /api/reports body: {scenario: name} or {matrix: {...}}, optionally resume (true or a report id). */
export function resolveReportRequest(body: unknown, o: RequestContext): ReportRequest {
  const shipped = o.scenarios.filter((s) => !s.error);
  const b = parseReportRequestBody(body, shipped.map((s) => s.name));
  let matrix: Matrix;
  let scenario: string | undefined;
  if (b.scenario !== undefined) {
    const want = b.scenario.replace(/^scenarios\//, '').replace(/\.json$/, '');
    const found = shipped.find((s) => s.name === want);
    if (!found) {
      const broken = o.scenarios.find((s) => s.name === want && s.error);
      throw fail('scenario', broken ? `scenarios/${want}.json does not validate: ${broken.error}` : `unknown scenario '${b.scenario.slice(0, 80)}'; allowed: ${shipped.map((s) => s.name).join(', ')}`);
    }
    matrix = loadScenario(o.scenariosDir, found);
    scenario = found.name;
  } else {
    try {
      matrix = parseMatrix(b.matrix, 'matrix');
    } catch (e) {
      if (e instanceof InputError) throw new InputError(e.issues.map((i) => ({ field: i.field === '(root)' ? 'matrix' : `matrix.${i.field}`, message: i.message })), 'report request');
      throw e;
    }
    matrix.source = 'inline matrix (POST /api/reports)';
  }
  const labels = new Map(matrix.cells.map((c) => [c.id, `${c.spec.mode} over ${c.spec.path}`]));
  const problems = privilegeProblemsOf(matrix.cells.map((c) => ({ label: labels.get(c.id)!, spec: c.spec })));
  if (problems.length) throw new InputError(problems.map((message) => ({ field: scenario ? 'scenario' : 'matrix', message })), 'report request');
  return { matrix, scenario, resumeId: b.resume === undefined || b.resume === false ? undefined : resumed(matrix.name, b.resume, o.reports()) };
}

/** The id of the report a request resumes: the newest unfinished one of the matrix (true), or the one named. */
function resumed(name: string, resume: true | string, reports: ReportRecord[]): string {
  const same = reports.filter((r) => r.name === name);
  const ids = same.map((r) => r.id).join(', ') || '(none)';
  if (resume === true) {
    const r = same.find((x) => x.status !== 'complete' && x.status !== 'running');
    if (!r)
      throw fail('resume', `no unfinished report of '${name}' to resume (reports of it: ${ids}); give a report id to rewrite a complete one, or leave resume out to start a new one`);
    return r.id;
  }
  const r = same.find((x) => x.id === resume);
  if (!r) throw fail('resume', `no report '${resume.slice(0, 80)}' of '${name}'; allowed: true (the newest unfinished one) or one of: ${ids}`);
  return r.id;
}
