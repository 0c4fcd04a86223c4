// The shape of the origin-trouble stage's result, issue 14's targets judged from its figures, and the
// markdown tables that quote them, one per scenario.
import type { Target } from './report.js';
import type { AnswerSummary, FetchesPerKey, Spread, StatusTimes } from './trouble-figures.js';

/** A scenario that could not run, and why; never a made-up figure. */
export interface Skipped {
  skipped: string;
}

/** What the scripted origin saw during a measurement. */
export interface OriginSeen {
  gets: number;
  maxInFlight: number;
  maxBusyConnections: number;
  maxConnections: number;
}

/** 1. Cached GETs through the balancer with and without misses of cold keys waiting on a slow origin. */
export interface IsolationResult {
  settings: { proxies: number; cachedKeys: number; misses: number; missConns: number; slowMs: number; probeRate: number; probeMs: number; missDeadlineMs: number };
  without: AnswerSummary;
  with: AnswerSummary;
  /** How the misses were answered; times in ms since they were sent. */
  misses: AnswerSummary;
  origin: OriginSeen;
}

/** 2. Concurrent GETs of distinct cold keys at one fresh proxy, the origin answering in order. */
export interface FanInResult {
  settings: { requests: number; delayMs: number };
  /** When the last was answered, in ms since the run started, its connections opening (Infinity: some never were). */
  allAnsweredMs: number;
  /** allAnsweredMs over the origin's latency. */
  multiple: number;
  answers: AnswerSummary;
  origin: OriginSeen;
}

/** 3. Every key asked several times through two balancers, then again once the origin is dead. */
export interface FetchesResult {
  settings: { keys: number; rounds: number; delayMs: number; connsPerBalancer: number; depth: number; balancers: number; proxies: number };
  answers: AnswerSummary;
  fetches: FetchesPerKey;
  afterKill: AnswerSummary;
}

/** 4. One key asked hard through one balancer: each proxy's share of it. */
export interface HotKeyResult {
  settings: { conns: number; depth: number; durationMs: number; delayMs: number };
  requests: number;
  rps: number;
  errors: Record<string, number>;
  latency: Spread;
  /** Per proxy, in start order; `owner` is the one that answered the key's first GET. */
  shares: Array<{ proxy: string; share: number; owner: boolean }>;
  /** Origin fetches of the key over the whole scenario, its first GET included. */
  originFetches: number;
}

/** 5. Misses at a fresh proxy whose origin is slower than --origin-timeout, then fast again. */
export interface TimeoutResult {
  settings: { misses: number; slowMs: number; originTimeoutMs: number; fastDelayMs: number };
  slow: AnswerSummary;
  fast: AnswerSummary;
}

export interface OriginTrouble {
  startedAt: string;
  command: string;
  /** A request not answered this long past when its run should have ended counts as NO_ANSWER, its latency Infinity. */
  graceMs: number;
  isolation?: IsolationResult | Skipped;
  fanIn?: FanInResult | Skipped;
  fetches?: FetchesResult | Skipped;
  hotKey?: HotKeyResult | Skipped;
  timeout?: TimeoutResult | Skipped;
  targets: Target[];
}

/** Issue 14's bounds: "p99 within a few ms", "within 6x the origin's latency", "at most one origin fetch per key". */
export const TROUBLE_LIMITS = { isolationP99SlackMs: 5, fanInMultiple: 6, fetchesPerKey: 1 };

const ran = <T extends object>(r: T | Skipped | undefined): r is T => r !== undefined && !('skipped' in r);

/** Each of the targets this run measured, met or not, from its figures alone. */
export function troubleTargets(t: Omit<OriginTrouble, 'targets'>): Target[] {
  const targets: Target[] = [];
  if (ran(t.isolation)) {
    const { without, with: waiting, settings } = t.isolation;
    const before = without.latency?.p99 ?? Infinity;
    const after = waiting.latency?.p99 ?? Infinity;
    const clean = errorCount(without) === 0 && errorCount(waiting) === 0;
    targets.push({
      target: `cached p99 with ${int(settings.misses)} misses waiting <= without + ${TROUBLE_LIMITS.isolationP99SlackMs} ms, 0 errors`,
      figure: `${msUnit(after)} vs ${msUnit(before)}; errors ${errorsText(waiting.errors)} / ${errorsText(without.errors)}`,
      met: after <= before + TROUBLE_LIMITS.isolationP99SlackMs && clean,
    });
  }
  if (ran(t.fanIn)) {
    const f = t.fanIn;
    targets.push({
      target: `${f.settings.requests} cold keys at an in-order origin answered within ${TROUBLE_LIMITS.fanInMultiple}x its latency`,
      figure: `${multipleText(f.multiple)} (${msUnit(f.allAnsweredMs)} at ${f.settings.delayMs} ms)`,
      met: f.multiple <= TROUBLE_LIMITS.fanInMultiple && errorCount(f.answers) === 0,
    });
  }
  if (ran(t.fetches)) {
    const f = t.fetches;
    targets.push({
      target: `at most ${TROUBLE_LIMITS.fetchesPerKey} origin fetch per key through ${f.settings.balancers} balancers`,
      figure: `max ${f.fetches.max}, ${int(f.fetches.overOnce)} keys fetched more than once; errors ${errorsText(f.answers.errors)}`,
      met: f.fetches.max <= TROUBLE_LIMITS.fetchesPerKey && errorCount(f.answers) === 0,
    });
    targets.push({
      target: 'origin killed: 0 errors for keys cached and fresh',
      figure: `errors ${errorsText(f.afterKill.errors)} of ${int(f.afterKill.requests)}`,
      met: errorCount(f.afterKill) === 0,
    });
  }
  if (ran(t.timeout)) {
    const { slow, fast, settings } = t.timeout;
    // A timeout is not retried by default (--origin-retry-on), so a miss waits one timeout; the bound
    // also holds a proxy told to retry one (a second timeout and the backoff), plus scheduling slack.
    const bound = 2 * settings.originTimeoutMs + 250;
    targets.push({
      target: `origin past --origin-timeout ${settings.originTimeoutMs}: every miss answered within 2 timeouts (+250 ms)`,
      figure: `max ${msUnit(slow.latency?.max ?? Infinity)}; ${statusesText(slow)}`,
      met: (slow.latency?.max ?? Infinity) <= bound,
    });
    targets.push({
      target: 'origin fast again: the next misses answered OK before a timeout',
      figure: `max ${msUnit(fast.latency?.max ?? Infinity)}; ${statusesText(fast)}`,
      met: (fast.latency?.max ?? Infinity) < settings.originTimeoutMs && fast.ok === fast.requests,
    });
  }
  return targets;
}

function errorCount(s: AnswerSummary): number {
  return s.requests - s.ok;
}

const int = (n: number): string => n.toLocaleString('en-US');
const msText = (n: number): string => (n === Infinity ? 'never' : n >= 100 ? String(Math.round(n)) : n.toFixed(2));
const msUnit = (n: number): string => (n === Infinity ? 'never' : `${msText(n)} ms`);
const multipleText = (n: number): string => (n === Infinity ? 'never' : `${n.toFixed(1)}x`);
const pct = (n: number): string => `${(n * 100).toFixed(1)}%`;

export function errorsText(errors: Readonly<Record<string, number>>): string {
  const parts = Object.entries(errors).map(([status, n]) => `${status}=${n}`);
  return parts.length === 0 ? '0' : parts.join(' ');
}

/** `OK 1,200, ORIGIN_FAILURE 800`: every status of a run with its count. */
export function statusesText(s: AnswerSummary): string {
  const counts: Array<[string, number]> = [...(s.ok > 0 ? [['OK', s.ok] as [string, number]] : []), ...Object.entries(s.errors)];
  return counts.map(([status, n]) => `${status} ${int(n)}`).join(', ') || 'none';
}

/** `OK at 2,010..12,000 ms (median 5,000)`: when each status's answers came. */
export function answeredAtText(s: AnswerSummary): string {
  const at = (status: string, t: StatusTimes): string => `${status} ${int(t.count)} at ${int(Math.round(t.first))}..${int(Math.round(t.last))} ms (median ${int(Math.round(t.p50))})`;
  const parts = Object.entries(s.answeredAt).map(([status, t]) => at(status, t));
  const unanswered = s.errors.NO_ANSWER ?? 0;
  if (unanswered > 0) parts.push(`NO_ANSWER ${int(unanswered)}`);
  return parts.join('; ') || 'none';
}

function latencyRow(label: string, s: AnswerSummary): string {
  const l = s.latency;
  const spread = l === undefined ? '| | |' : `${msText(l.p50)} | ${msText(l.p99)} | ${msText(l.max)}`;
  return `| ${label} | ${int(s.requests)} | ${spread} | ${errorsText(s.errors)} | ${int(s.cacheMisses)} |`;
}

const LATENCY_HEAD = ['| requests | sent | p50 ms | p99 ms | max ms | errors | answered as misses |', '|---|---:|---:|---:|---:|---|---:|'];

function skippedLines(title: string, r: Skipped | undefined): string[] {
  return r === undefined ? [] : [`### ${title}`, '', `not measured: ${r.skipped}`, ''];
}

function isolationLines(r: IsolationResult): string[] {
  const s = r.settings;
  return [
    `### 1. Isolation: cached GETs through the balancer while misses wait on a slow origin`,
    '',
    `Origin answering in ${int(s.slowMs)} ms, in order per connection; ${s.proxies} proxies, one balancer (default strategy), ${int(s.cachedKeys)} keys warm.` +
      ` Cached GETs at ${s.probeRate}/s for ${s.probeMs / 1000} s (open loop); the misses are ${int(s.misses)} distinct cold keys on ${s.missConns} connections of their own, pipelined, sent first.`,
    '',
    ...LATENCY_HEAD,
    latencyRow('cached, no misses waiting', r.without),
    latencyRow(`cached, ${int(s.misses)} misses waiting`, r.with),
    latencyRow('the misses', r.misses),
    '',
    'A cached GET answered as a miss went to a proxy that did not hold its key.',
    '',
    `The misses, by status and when answered (ms since sent; given up at ${int(s.missDeadlineMs)} ms): ${answeredAtText(r.misses)}.` +
      ` The origin saw ${int(r.origin.gets)} GETs, at most ${int(r.origin.maxInFlight)} in flight on ${r.origin.maxBusyConnections} busy connections (${r.origin.maxConnections} open).`,
    '',
  ];
}

function fanInLines(r: FanInResult): string[] {
  return [
    `### 2. Cold fan-in: ${r.settings.requests} concurrent GETs of distinct cold keys at one fresh proxy`,
    '',
    '| figure | value |',
    '|---|---|',
    `| origin latency (in order per connection) | ${r.settings.delayMs} ms |`,
    `| all answered after | ${msUnit(r.allAnsweredMs)} = ${multipleText(r.multiple)} the origin's latency |`,
    `| latency p50 / p99 / max | ${msText(r.answers.latency?.p50 ?? Infinity)} / ${msText(r.answers.latency?.p99 ?? Infinity)} / ${msText(r.answers.latency?.max ?? Infinity)} ms |`,
    `| answers | ${statusesText(r.answers)} |`,
    `| GETs the origin received | ${int(r.origin.gets)} for ${int(r.settings.requests)} keys |`,
    `| most GETs in flight at the origin | ${r.origin.maxInFlight}, on ${r.origin.maxBusyConnections} busy connections (${r.origin.maxConnections} open) |`,
    '',
  ];
}

function fetchesLines(r: FetchesResult): string[] {
  const s = r.settings;
  return [
    `### 3. Origin fetches per key through ${s.balancers} balancers (consistent_hash)`,
    '',
    `${int(s.keys)} keys asked ${s.rounds} times each, alternately through each balancer, ${s.connsPerBalancer} connections x ${s.depth} pipelined per balancer; origin at ${s.delayMs} ms; ${s.proxies} proxies.`,
    '',
    '| figure | value |',
    '|---|---|',
    `| answers | ${statusesText(r.answers)} (p99 ${msUnit(r.answers.latency?.p99 ?? Infinity)}) |`,
    `| origin fetches per key: max / mean | ${r.fetches.max} / ${r.fetches.mean.toFixed(3)} |`,
    `| keys fetched more than once | ${int(r.fetches.overOnce)} of ${int(r.fetches.keys)} |`,
    `| origin killed, every key asked once more | ${statusesText(r.afterKill)} |`,
    '',
  ];
}

function hotKeyLines(r: HotKeyResult): string[] {
  const s = r.settings;
  return [
    `### 4. Hot key: one key at ${s.conns} connections x ${s.depth} pipelined through one balancer (consistent_hash)`,
    '',
    '| figure | value |',
    '|---|---|',
    `| requests | ${int(r.requests)} in ${s.durationMs / 1000} s = ${int(r.rps)} req/s, p99 ${msUnit(r.latency.p99)}, errors ${errorsText(r.errors)} |`,
    ...r.shares.map((p) => `| share answered by ${p.proxy}${p.owner ? ' (owner)' : ''} | ${pct(p.share)} |`),
    `| origin fetches of the key (origin at ${s.delayMs} ms) | ${r.originFetches} |`,
    '',
  ];
}

function timeoutLines(r: TimeoutResult): string[] {
  const s = r.settings;
  const row = (label: string, a: AnswerSummary): string =>
    `| ${label} | ${int(a.requests)} | ${msText(a.latency?.p50 ?? Infinity)} | ${msText(a.latency?.max ?? Infinity)} | ${statusesText(a)} |`;
  return [
    `### 5. An origin past --origin-timeout: ${s.misses} misses at a fresh proxy (--origin-timeout ${s.originTimeoutMs})`,
    '',
    '| origin | misses | p50 ms | max ms | answers |',
    '|---|---:|---:|---:|---|',
    row(`at ${int(s.slowMs)} ms`, r.slow),
    row(`fast again (${s.fastDelayMs} ms)`, r.fast),
    '',
    `While slow, when answered (ms since sent): ${answeredAtText(r.slow)}.`,
    '',
  ];
}

export function renderTrouble(t: OriginTrouble): string {
  const section = <T extends object>(title: string, r: T | Skipped | undefined, lines: (r: T) => string[]): string[] =>
    r === undefined ? [] : ran(r) ? lines(r) : skippedLines(title, r as Skipped);
  const lines = [
    `## Origin trouble`,
    '',
    `Run ${t.startedAt}. \`${t.command}\``,
    `A request still unanswered ${t.graceMs / 1000} s after its run should have ended counts as NO_ANSWER, its latency as \`never\` (so is a p99 when more than 1% went unanswered).`,
    '',
    ...section('1. Isolation', t.isolation, isolationLines),
    ...section('2. Cold fan-in', t.fanIn, fanInLines),
    ...section('3. Origin fetches per key', t.fetches, fetchesLines),
    ...section('4. Hot key', t.hotKey, hotKeyLines),
    ...section('5. An origin past --origin-timeout', t.timeout, timeoutLines),
  ];
  if (t.targets.length > 0) lines.push('| target | figure | met |', '|---|---|---|');
  for (const target of t.targets) lines.push(`| ${target.target} | ${target.figure} | ${target.met === null ? 'not measured' : target.met ? 'met' : 'NOT met'} |`);
  return lines.join('\n') + '\n';
}
