// Types shared with the server (checked by `tsc -p dashboard`; nothing at run time).
/** @typedef {import('../../server/live/frames.js').RunRecord} RunRecord */
/** @typedef {import('../../server/live/frames.js').SampleFrame} SampleFrame */
/** @typedef {import('../../server/live/frames.js').RunFrame} RunFrame */
/** @typedef {import('../../server/live/frames.js').HelloFrame} HelloFrame */
/** @typedef {import('../../server/live/frames.js').ServerFrame} ServerFrame */
/** @typedef {import('../../server/live/frames.js').ReportRecord} ReportRecord */
/** @typedef {import('../../server/live/frames.js').ReportFrame} ReportFrame */
/** @typedef {import('../../server/report/scenarios.js').ScenarioInfo} ScenarioInfo */
/** @typedef {import('../../server/session/capabilities.js').Capabilities} Capabilities */
/** @typedef {ReturnType<typeof import('../../server/api/modes.js').modesDocument>} ModesDoc */
/** @typedef {import('../../server/view/charts.js').ChartDef} ChartDef */
/** @typedef {import('../../server/view/flow.js').FlowKind} FlowKind */
/** @typedef {import('../../server/run/result.js').RunResult} RunResult */
/** @typedef {Record<string, Record<string, number | null>>} CountersByRole */
/** @typedef {import('../../server/live/frames.js').WatchRecord} WatchRecord */
/** @typedef {import('../../server/live/frames.js').WatchSampleFrame} WatchSampleFrame */
/** @typedef {import('../../server/core/proc-scan.js').ProcessInfo} ProcessInfo */
export {};
