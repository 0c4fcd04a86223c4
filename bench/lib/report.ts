// The shape of a comparison's result, the issue's targets judged from its figures, and the markdown
// table that quotes them.
import type { Availability } from './haproxy.js';
import type { LoadResult } from './load.js';
import type { Machine, Syscalls } from './machine.js';
import type { SelfTime } from './profile.js';
import { DESCRIPTIONS, MODES, REFERENCES, SUBJECTS, type ModeName, type Subject } from './subjects.js';

export interface CellResult {
  subject: Subject;
  mode: ModeName;
  /** The median round by req/s. */
  result?: LoadResult;
  /** req/s of every round, in the order run. */
  rounds?: number[];
  /** Failed answers by status, summed over every round. */
  roundErrors?: Record<string, number>;
  /** Why there is no figure ("not available: ..."); never a made-up one. */
  unavailable?: string;
  /** CPU the load generator used during the cell, in cores (1 = one core busy). */
  generatorCpu?: number;
  /** Read and write system calls of the subject's front process per answer. */
  syscallsPerRequest?: Syscalls;
  /** CPU time of the subject's front process per answer. */
  cpuPerRequest?: CpuPerRequest;
}

/** Microseconds of CPU per answer, in user space and in the kernel (loopback TCP is mostly the latter). */
export interface CpuPerRequest {
  userUs: number;
  systemUs: number;
  /** User + system of the processes behind the front (its proxies or line servers), all together. */
  behindUs?: number;
}

export interface HalfLoadResult {
  /** The balancer's best req/s over the modes. */
  peak: number;
  rate: number;
  result: LoadResult;
  /** The relay + line servers at the same rate, when they ran: the machine's own tail. */
  floor?: LoadResult;
}

export interface MemoryResult {
  valuesMiB: number;
  bytesHeld: number;
  entries: number;
  evictions: number;
  rssMiB: number;
  peakMiB: number;
}

export interface Target {
  target: string;
  figure: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

export interface Comparison {
  startedAt: string;
  machine: Machine;
  /** The machine's 1-minute load average when the run started and ended: others' work shows here. */
  loadAverage: { start: number; end: number };
  command: string;
  settings: { durationS: number; warmupS: number; settleS?: number; keyspace: number; seed: number; rounds: number; subjects: Subject[]; modes: ModeName[] };
  haproxy?: Availability;
  cells: CellResult[];
  halfLoad?: HalfLoadResult | { skipped: string };
  memory?: MemoryResult | { skipped: string };
  targets: Target[];
  /** With --cpu-prof: each process's busy share of its lifetime and its top self-time functions. */
  profiles?: Array<{ process: string; busy: number; top: SelfTime[] }>;
}

/** One measurement of one subject in one mode. */
export interface Round {
  result: LoadResult;
  /** CPU the load generator used, in cores. */
  cpu: number;
  /** System calls of the subject's front process per answer (Linux only). */
  syscallsPerRequest?: Syscalls;
  /** CPU time of the subject's front process per answer (Linux only). */
  cpuPerRequest?: CpuPerRequest;
}

/** A cell from its rounds: the median by req/s stands for it; failures of every round are kept. */
export function medianCell(subject: Subject, mode: ModeName, rounds: readonly Round[]): CellResult {
  const sorted = [...rounds].sort((a, b) => a.result.rps - b.result.rps);
  const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const roundErrors: Record<string, number> = {};
  for (const { result } of rounds) for (const [status, n] of Object.entries(result.errors)) roundErrors[status] = (roundErrors[status] ?? 0) + n;
  return {
    subject,
    mode,
    result: median.result,
    rounds: rounds.map((r) => r.result.rps),
    roundErrors,
    generatorCpu: median.cpu,
    ...(median.syscallsPerRequest === undefined ? {} : { syscallsPerRequest: median.syscallsPerRequest }),
    ...(median.cpuPerRequest === undefined ? {} : { cpuPerRequest: median.cpuPerRequest }),
  };
}

// metricsCost: recording for Prometheus may cost the hit path under 5% (issue 17).
export const LIMITS = { vsHaproxy: 1.0, vsFloor: 0.8, halfLoadP99Ms: 2, rssOverValuesMiB: 100, valuesMiB: 64, metricsCost: 0.95 };

/** req/s of a subject in a mode, when it was measured. */
export function rpsOf(cells: readonly CellResult[], subject: Subject, mode: ModeName): number | undefined {
  const result = cells.find((c) => c.subject === subject && c.mode === mode)?.result;
  return result === undefined ? undefined : result.rps;
}

function ratio(cells: readonly CellResult[], subject: Subject, reference: Subject, mode: ModeName): number | undefined {
  const ours = rpsOf(cells, subject, mode);
  const theirs = rpsOf(cells, reference, mode);
  return ours === undefined || theirs === undefined || theirs === 0 ? undefined : ours / theirs;
}

export function ratioText(cells: readonly CellResult[], cell: CellResult): string {
  if (cell.result === undefined) return '';
  const refs = REFERENCES[cell.subject];
  if (refs.length === 0) return 'reference';
  return refs
    .map((ref) => {
      const r = ratio(cells, cell.subject, ref, cell.mode);
      return r === undefined ? `n/a vs ${ref}` : `${r.toFixed(2)}x ${ref}`;
    })
    .join(', ');
}

/** Each target of the issue, met or not, from this run's figures alone. */
export function evaluateTargets(c: Pick<Comparison, 'cells' | 'settings' | 'halfLoad' | 'memory'>): Target[] {
  const targets: Target[] = [];
  const vs = (subject: Subject, reference: Subject, limit: number, label: string): void => {
    if (!c.settings.subjects.includes(subject) || !c.settings.subjects.includes(reference)) return;
    for (const mode of c.settings.modes) {
      const r = ratio(c.cells, subject, reference, mode);
      const missing = [subject, reference].map((s) => c.cells.find((x) => x.subject === s && x.mode === mode)).find((x) => x === undefined || x.result === undefined);
      const clean = [subject, reference].every((s) => {
        const found = c.cells.find((x) => x.subject === s && x.mode === mode);
        return found?.result !== undefined && okOf(found.result) && Object.keys(found.roundErrors ?? {}).length === 0;
      });
      targets.push({
        target: `${label} (${MODES[mode].label})`,
        figure:
          r === undefined
            ? `not measured${missing?.unavailable !== undefined ? `: ${missing.subject} ${missing.unavailable}` : ''}`
            : `${r.toFixed(2)}x${clean ? '' : ' (with errors: not counted as met)'}`,
        met: r === undefined ? null : r >= limit && clean,
      });
    }
  };
  vs('balancer', 'haproxy', LIMITS.vsHaproxy, `balancer >= ${LIMITS.vsHaproxy.toFixed(1)}x HAProxy`);
  vs('proxy', 'line-server', LIMITS.vsFloor, `proxy alone >= ${LIMITS.vsFloor}x line server`);
  vs('proxy-metrics', 'proxy', LIMITS.metricsCost, `proxy with --metrics-port >= ${LIMITS.metricsCost}x proxy without`);
  vs('balancer', 'relay', LIMITS.vsFloor, `balancer + proxies >= ${LIMITS.vsFloor}x relay + line servers`);
  const half = c.halfLoad;
  const p99 = `p99 through the balancer at half peak <= ${LIMITS.halfLoadP99Ms} ms`;
  if (half !== undefined && 'skipped' in half) targets.push({ target: p99, figure: `not measured: ${half.skipped}`, met: null });
  else if (half !== undefined) {
    targets.push({
      target: p99,
      figure:
        `${half.result.latency.p99.toFixed(2)} ms at ${half.result.rps} req/s (asked ${half.rate}, peak ${half.peak})` +
        (okOf(half.result) ? '' : `, errors ${errorsText(half.result)}`) +
        (half.floor === undefined ? '' : `; relay + line servers at that rate: p99 ${half.floor.latency.p99.toFixed(2)} ms`),
      met: half.result.latency.p99 <= LIMITS.halfLoadP99Ms && okOf(half.result),
    });
  }
  const mem = c.memory;
  const rss = `proxy RSS holding ${LIMITS.valuesMiB} MiB of values <= ${LIMITS.valuesMiB + LIMITS.rssOverValuesMiB} MiB`;
  if (mem !== undefined && 'skipped' in mem) targets.push({ target: rss, figure: `not measured: ${mem.skipped}`, met: null });
  else if (mem !== undefined) {
    targets.push({
      target: rss,
      figure: `${mem.rssMiB} MiB with ${mem.valuesMiB} MiB of values in ${mem.entries} entries (peak ${mem.peakMiB} MiB)`,
      met: mem.rssMiB <= LIMITS.valuesMiB + LIMITS.rssOverValuesMiB && mem.valuesMiB >= LIMITS.valuesMiB,
    });
  }
  return targets;
}

function okOf(result: LoadResult): boolean {
  return result.requests > 0 && result.ok === result.requests;
}

export function errorsText(result: Pick<LoadResult, 'errors'>): string {
  const parts = Object.entries(result.errors).map(([status, n]) => `${status}=${n}`);
  return parts.length === 0 ? '0' : parts.join(' ');
}

const int = (n: number): string => n.toLocaleString('en-US');
const ms = (n: number): string => n.toFixed(2);

export function renderMarkdown(c: Comparison): string {
  const m = c.machine;
  const lines = [
    `Run ${c.startedAt} on ${m.nproc} x ${m.cpu}, ${(m.memoryMiB / 1024).toFixed(1)} GiB, Node ${m.node}${c.haproxy?.available === true ? `, HAProxy ${c.haproxy.version}` : ''};`,
    `1-minute load average ${c.loadAverage.start.toFixed(2)} at the start, ${c.loadAverage.end.toFixed(2)} at the end.`,
    `${c.settings.keyspace} keys uniform; each cell the median of ${c.settings.rounds} round(s) of ${c.settings.durationS} s after ${c.settings.warmupS} s warmup,` +
      ` subjects interleaved${c.settings.settleS ? `, each settled ${c.settings.settleS} s per mode first` : ''}. \`${c.command}\``,
    '',
    '| subject | mode | req/s | ratio | p50 ms | p99 ms | errors |',
    '|---|---|---:|---|---:|---:|---|',
  ];
  for (const mode of c.settings.modes) {
    for (const subject of SUBJECTS) {
      const cell = c.cells.find((x) => x.subject === subject && x.mode === mode);
      if (cell === undefined) continue;
      const r = cell.result;
      lines.push(
        r === undefined
          ? `| ${subject} | ${MODES[mode].label} | ${cell.unavailable ?? 'not available'} | | | | |`
          : `| ${subject} | ${MODES[mode].label} | ${int(r.rps)} | ${ratioText(c.cells, cell)} | ${ms(r.latency.p50)} | ${ms(r.latency.p99)} | ${errorsText({ errors: cell.roundErrors ?? r.errors })} |`,
      );
    }
  }
  lines.push('');
  for (const subject of SUBJECTS) if (c.cells.some((x) => x.subject === subject)) lines.push(`- ${subject}: ${DESCRIPTIONS[subject]}`);
  const cpu = cpuTable(c);
  if (cpu.length > 0) lines.push('', ...cpu);
  const calls = syscallTable(c);
  if (calls.length > 0) lines.push('', ...calls);
  const generator = generatorLine(c);
  if (generator !== undefined) lines.push('', generator);
  if (c.targets.length > 0) lines.push('', '| target | figure | met |', '|---|---|---|');
  for (const t of c.targets) lines.push(`| ${t.target} | ${t.figure} | ${t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met'} |`);
  return lines.join('\n') + '\n';
}

/** How far the load generator goes against the trivial server, beside the best figure of ours. */
function generatorLine(c: Comparison): string | undefined {
  const floor = c.cells.filter((x) => x.subject === 'line-server' && x.result !== undefined).sort((a, b) => b.result!.rps - a.result!.rps)[0];
  if (floor === undefined) return undefined;
  const ours = c.cells.filter((x) => (x.subject === 'balancer' || x.subject === 'proxy') && x.result !== undefined).sort((a, b) => b.result!.rps - a.result!.rps)[0];
  const cpu = floor.generatorCpu === undefined ? '' : `, using ${Math.round(floor.generatorCpu * 100)}% of one core`;
  const best = ours === undefined ? '' : `; the best figure of ours is ${int(ours.result!.rps)} req/s (${ours.subject}, ${MODES[ours.mode].label})`;
  return `Load generator: ${int(floor.result!.rps)} req/s against the line server alone (${MODES[floor.mode].label})${cpu}${best}.`;
}

/** CPU per answer at each subject's front process, user + system: where the targets are won or lost. */
function cpuTable(c: Comparison): string[] {
  const front = perSubjectTable(c, '| CPU per request at the front process, µs (user + system) |', ({ cpuPerRequest: used }) =>
    used === undefined ? undefined : `${used.userUs.toFixed(1)} + ${used.systemUs.toFixed(1)}`,
  );
  // Behind the balancer and HAProxy the same proxies, behind the relay its line servers.
  const behind = perSubjectTable(c, '| CPU per request behind the front (its 3 proxies or line servers), µs |', (cell) => cell.cpuPerRequest?.behindUs?.toFixed(1));
  return behind.length === 0 ? front : [...front, '', ...behind];
}

/** Reads / writes per answer at each subject's front process: how well it batches its I/O. */
function syscallTable(c: Comparison): string[] {
  return perSubjectTable(c, '| syscalls per request at the front process (reads / writes) |', ({ syscallsPerRequest: calls }) =>
    calls === undefined ? undefined : `${calls.reads.toFixed(2)} / ${calls.writes.toFixed(2)}`,
  );
}

/** A row per subject and a column per mode, for the subjects with a figure in some mode; none without any. */
function perSubjectTable(c: Comparison, title: string, show: (cell: CellResult) => string | undefined): string[] {
  const shown = (subject: Subject, mode: ModeName): string | undefined => {
    const cell = c.cells.find((x) => x.subject === subject && x.mode === mode);
    return cell === undefined ? undefined : show(cell);
  };
  const measured = SUBJECTS.filter((subject) => c.settings.modes.some((mode) => shown(subject, mode) !== undefined));
  if (measured.length === 0) return [];
  const lines = [`${title} ${c.settings.modes.map((m) => MODES[m].label).join(' | ')} |`, `|---|${c.settings.modes.map(() => '---:').join('|')}|`];
  for (const subject of measured) lines.push(`| ${subject} | ${c.settings.modes.map((mode) => shown(subject, mode) ?? '').join(' | ')} |`);
  return lines;
}
