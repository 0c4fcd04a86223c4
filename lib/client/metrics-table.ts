// A METRICS answer as a person reads it on a terminal: one field a line, and the balancer's proxies as a table.

/** The proxy columns, in order: the balancer's view of each, then what its last probe read from it. */
const PROXY_COLUMNS: readonly (readonly [heading: string, read: (proxy: Record<string, unknown>) => unknown])[] = [
  ['state', (p) => p.state],
  ['healthy', (p) => p.healthy],
  ['weight', (p) => p.weight],
  ['in_flight', (p) => p.in_flight],
  ['requests', (p) => p.requests],
  ['failures', (p) => p.failures],
  ['timeouts', (p) => p.timeouts],
  ['ejected', (p) => p.ejected],
  ['hit_rate', (p) => (p.metrics as Record<string, unknown> | null | undefined)?.hit_rate],
  ['entries', (p) => (p.metrics as Record<string, unknown> | null | undefined)?.entries],
  ['reason', (p) => p.reason],
];

/**
 * The `data` of a METRICS answer (PROTOCOL.md) as text: each field on a line of its own, name
 * then value, a field holding numbers (`latency_ms`) on one line (`p50 1  p99 4  max 12`); then,
 * for a balancer, a table of its `proxies`, one row each. Fields it does not know are shown too, so
 * a field added to METRICS is never hidden. Ends with a newline.
 */
export function metricsTable(data: Record<string, unknown>): string {
  const { proxies, ...fields } = data;
  const names = Object.keys(fields);
  const width = Math.max(0, ...names.map((name) => name.length));
  const lines = names.map((name) => `${name.padEnd(width)}  ${cell(fields[name])}`);
  if (isRecord(proxies)) lines.push('', ...proxyTable(proxies));
  return lines.join('\n') + '\n';
}

function proxyTable(proxies: Record<string, unknown>): string[] {
  const rows = [['proxy', ...PROXY_COLUMNS.map(([heading]) => heading)]];
  for (const [address, view] of Object.entries(proxies)) {
    const proxy = isRecord(view) ? view : {};
    rows.push([address, ...PROXY_COLUMNS.map(([, read]) => cell(read(proxy)))]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  return rows.map((row) => row.map((text, c) => text.padEnd(widths[c]!)).join('  ').trimEnd());
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(3);
  if (isRecord(value)) return Object.entries(value).map(([name, inner]) => `${name} ${cell(inner)}`).join('  ');
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
