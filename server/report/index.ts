// Scripted scenario runs: a matrix file in, a report out (the runs themselves:
// session/matrix.ts). What the CLI (`zcl report`) and the server (POST /api/reports) call.
export { loadMatrixFile, parseMatrix, plannedRuns, type Matrix, type MatrixCell } from '../schema/matrix.js';
export { REPORT_FILES, writeReports, type ReportFiles } from './write.js';
export { readRuns, RUNS_FILE, MATRIX_FILE } from './store.js';
export { ResultsFileSchema, RunResultSchema, type ResultsFile } from './schema.js';
