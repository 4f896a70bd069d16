// The shipped scenario matrices (scenarios/*.json), as the server offers them:
// each validated, a bad one listed with its error (then it cannot be started).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../core/errors.js';
import { loadMatrixFile, plannedRuns, type Matrix } from '../schema/matrix.js';

export interface ScenarioInfo {
  /** The file's name without .json: what POST /api/reports takes as `scenario`. */
  name: string;
  /** scenarios/<name>.json */
  file: string;
  description: string;
  /** Runs it makes (cells x (repetitions + warmup)). */
  runs: number;
  cells: number;
  repetitions: number;
  warmup: number;
  /** The matrix's own name (names its reports). */
  matrixName: string;
  /** Bytes it moves in all. */
  bytes: number;
  /** Set when the file does not validate (then it cannot be started). */
  error?: string;
}

/** The scenarios in `dir`, by name. */
export function listScenarios(dir: string, log?: (line: string) => void): ScenarioInfo[] {
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
  } catch (e) {
    log?.(`scenarios: ${(e as Error).message}`);
  }
  return names.map((n) => {
    const name = n.slice(0, -'.json'.length);
    const file = `scenarios/${n}`;
    try {
      const m = loadMatrixFile(join(dir, n));
      return {
        name, file, description: m.description, runs: plannedRuns(m), cells: m.cells.length, repetitions: m.repetitions, warmup: m.warmup, matrixName: m.name,
        bytes: m.cells.reduce((a, c) => a + c.spec.sizeBytes, 0) * (m.repetitions + m.warmup),
      };
    } catch (e) {
      const message = e instanceof InputError ? e.issues.map((i) => `${i.field}: ${i.message}`).join('; ') : (e as Error).message;
      return { name, file, description: '', runs: 0, cells: 0, repetitions: 0, warmup: 0, matrixName: name, bytes: 0, error: message };
    }
  });
}

/** A shipped scenario's matrix (its source: scenarios/<name>.json). Throws InputError. */
export function loadScenario(dir: string, s: Pick<ScenarioInfo, 'name' | 'file'>): Matrix {
  const matrix = loadMatrixFile(join(dir, `${s.name}.json`));
  matrix.source = s.file;
  return matrix;
}
