// The two formats Prometheus scrapes: its text format 0.0.4 and OpenMetrics 1.0,
// chosen by the scraper's Accept header. A small formatter of our own, not a
// client library: the lab's metrics are cumulative counts the kernel keeps (read
// from a session, never incremented here), which a library's Counter (inc only)
// does not hold without pretending; and the two formats differ in a handful of
// lines (family names, UNIT, info, # EOF), all here.
//
// A family is named without its sample suffix (zcl_copied_bytes): text format
// writes the counter's HELP and TYPE on zcl_copied_bytes_total, OpenMetrics on the
// family (with UNIT), and both write its samples as zcl_copied_bytes_total.

export type MetricType = 'counter' | 'gauge' | 'info';
export type Format = 'text' | 'openmetrics';

export interface Family {
  /** The family's name, without _total or _info (e.g. zcl_copied_bytes). */
  name: string;
  type: MetricType;
  /** The base unit the name ends in (OpenMetrics' UNIT), or "". */
  unit: string;
  help: string;
  samples: { labels: [string, string][]; value: number }[];
}

export const CONTENT_TYPES: Record<Format, string> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** The sample name of a family: counters end in _total, info metrics in _info. */
export function sampleName(f: Pick<Family, 'name' | 'type'>): string {
  return f.type === 'counter' ? `${f.name}_total` : f.type === 'info' ? `${f.name}_info` : f.name;
}

const labelValue = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const helpText = (v: string, format: Format) => {
  const s = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return format === 'openmetrics' ? s.replace(/"/g, '\\"') : s;
};

function value(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** The exposition of these families in one format. */
export function render(families: Family[], format: Format): string {
  const out: string[] = [];
  for (const f of families) {
    const sample = sampleName(f);
    if (format === 'openmetrics') {
      out.push(`# TYPE ${f.name} ${f.type}`);
      if (f.unit) out.push(`# UNIT ${f.name} ${f.unit}`);
      out.push(`# HELP ${f.name} ${helpText(f.help, format)}`);
    } else {
      out.push(`# HELP ${sample} ${helpText(f.help, format)}`);
      out.push(`# TYPE ${sample} ${f.type === 'info' ? 'gauge' : f.type}`);
    }
    for (const s of f.samples) {
      const labels = s.labels.length ? `{${s.labels.map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}` : '';
      out.push(`${sample}${labels} ${value(s.value)}`);
    }
  }
  if (format === 'openmetrics') out.push('# EOF');
  return out.join('\n') + '\n';
}

/**
 * The format an Accept header asks for: OpenMetrics when it accepts
 * application/openmetrics-text at least as much as text/plain (Prometheus asks
 * for it first), else the text format.
 */
export function negotiate(accept: string | undefined): Format {
  if (!accept) return 'text';
  let om = 0;
  let text = 0;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qp = params.find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return om > 0 && om >= text ? 'openmetrics' : 'text';
}
