// The shape of the HTTP-origin stage's result (issue 16): each subject's rounds per case, the cell
// figures taken from them, the goal judged against nginx, and the markdown table that quotes them.
import type { Target } from './report.js';
import type { AnswerSummary } from './trouble-figures.js';
import { errorsText, statusesText, type OriginSeen } from './trouble-report.js';

export const HTTP_SUBJECTS = ['dproxy', 'nginx'] as const;
export type HttpSubject = (typeof HTTP_SUBJECTS)[number];

/** `cold-keys`: every request a distinct cold key; `one-key`: every request the same cold key. */
export const HTTP_CASES = ['cold-keys', 'one-key'] as const;
export type HttpCase = (typeof HTTP_CASES)[number];

/** One measurement: every request sent at once, on keys neither the subject nor the origin has seen. */
export interface HttpRound {
  /** When the last request was answered, in ms since the run started (its connections already open); Infinity when one never was. */
  allAnsweredMs: number;
  answers: AnswerSummary;
  /** Requests that reached the origin, by its own count. */
  originRequests: number;
  origin: OriginSeen;
  /** dproxy's own METRICS `origin_fetches`, when it reports one: a cross-check of `originRequests`. */
  subjectFetches?: number;
}

export interface HttpCell {
  subject: HttpSubject;
  case: HttpCase;
  /** Why there is no figure ("not available: ..."); never a made-up one. */
  unavailable?: string;
  rounds?: HttpRound[];
  /** The median round by allAnsweredMs (the lower of the two middle ones for an even count). */
  median?: HttpRound;
  /** The most origin requests of any round. */
  maxOriginRequests?: number;
  /** Answers by status over every round. */
  totals?: { requests: number; ok: number; errors: Record<string, number> };
}

export interface HttpOriginResult {
  startedAt: string;
  command: string;
  settings: {
    requests: number;
    /** Client connections per subject, each carrying one request at a time. */
    conns: number;
    delayMs: number;
    maxAgeS: number;
    rounds: number;
    /** Unmeasured runs of the same shape before each measured one. */
    warmRuns: number;
    deadlineMs: number;
    nginxWorkers: number;
    nginxKeepalive: number;
  };
  /** What each subject was, versions included, for the legend. */
  subjects: Partial<Record<HttpSubject, string>>;
  cells: HttpCell[];
  targets: Target[];
}

/** A cell from its rounds: the median round by time to all answered, the worst round's origin requests, every round's answers. */
export function httpCell(subject: HttpSubject, which: HttpCase, rounds: readonly HttpRound[]): HttpCell {
  if (rounds.length === 0) return { subject, case: which, unavailable: 'no round ran' };
  const sorted = [...rounds].sort((a, b) => a.allAnsweredMs - b.allAnsweredMs);
  const errors: Record<string, number> = {};
  let requests = 0;
  let ok = 0;
  for (const r of rounds) {
    requests += r.answers.requests;
    ok += r.answers.ok;
    for (const [status, n] of Object.entries(r.answers.errors)) errors[status] = (errors[status] ?? 0) + n;
  }
  return {
    subject,
    case: which,
    rounds: [...rounds],
    median: sorted[Math.floor((sorted.length - 1) / 2)]!,
    maxOriginRequests: Math.max(...rounds.map((r) => r.originRequests)),
    totals: { requests, ok, errors },
  };
}

const CASE_LABELS: Record<HttpCase, (n: string) => string> = {
  'cold-keys': (n) => `${n} concurrent GETs of distinct cold keys`,
  'one-key': (n) => `${n} concurrent GETs of one cold key`,
};

/**
 * Issue 16's goal per case measured: dproxy sends at most as many requests to the origin as nginx
 * (its most in any round against nginx's most) and has all answered no later (median against
 * median), every one of its answers OK. Not measured (null) when either side has no figure.
 */
export function httpTargets(settings: Pick<HttpOriginResult['settings'], 'requests'>, cells: readonly HttpCell[]): Target[] {
  const targets: Target[] = [];
  for (const which of HTTP_CASES) {
    const ours = cells.find((c) => c.subject === 'dproxy' && c.case === which);
    const theirs = cells.find((c) => c.subject === 'nginx' && c.case === which);
    if (ours === undefined && theirs === undefined) continue;
    const target = `${CASE_LABELS[which](int(settings.requests))}: origin requests <= nginx's, all answered no later`;
    const missing = absent('dproxy', ours) ?? absent('nginx', theirs);
    if (missing !== undefined || ours?.median === undefined || theirs?.median === undefined) {
      targets.push({ target, figure: `not measured: ${missing}`, met: null });
      continue;
    }
    const clean = ours.totals!.ok === ours.totals!.requests;
    targets.push({
      target,
      figure:
        `dproxy ${int(ours.maxOriginRequests!)} origin requests, ${msUnit(ours.median.allAnsweredMs)}` +
        `; nginx ${int(theirs.maxOriginRequests!)}, ${msUnit(theirs.median.allAnsweredMs)}` +
        (clean ? '' : `; dproxy errors ${errorsText(ours.totals!.errors)}`),
      met: clean && ours.maxOriginRequests! <= theirs.maxOriginRequests! && ours.median.allAnsweredMs <= theirs.median.allAnsweredMs,
    });
  }
  return targets;
}

/** Why a subject's cell has no figure, or undefined when it has one. */
function absent(subject: HttpSubject, cell: HttpCell | undefined): string | undefined {
  if (cell === undefined) return `${subject} not in this run`;
  return cell.median === undefined ? `${subject} ${cell.unavailable ?? 'has no figure'}` : undefined;
}

const int = (n: number): string => n.toLocaleString('en-US');
const msUnit = (n: number): string => (n === Infinity ? 'never' : `${int(Math.round(n))} ms`);

function cellRow(c: HttpCell, settings: HttpOriginResult['settings']): string {
  const label = `${CASE_LABELS[c.case](int(settings.requests))} | ${c.subject}`;
  if (c.median === undefined) return `| ${label} | ${c.unavailable ?? 'not available'} | | | | |`;
  const each = c.rounds!.map((r) => (r.allAnsweredMs === Infinity ? 'never' : int(Math.round(r.allAnsweredMs)))).join(', ');
  const totals = { ...c.median.answers, ok: c.totals!.ok, errors: c.totals!.errors };
  return (
    `| ${label} | ${msUnit(c.median.allAnsweredMs)} | ${each} | ${int(c.maxOriginRequests!)} | ${int(c.median.origin.maxConnections)} | ${statusesText(totals)} |`
  );
}

/** The stage's table, the legend of what ran, and the goal judged. */
export function renderHttpOrigin(r: HttpOriginResult): string {
  const s = r.settings;
  const lines = [
    '## HTTP origin vs nginx',
    '',
    `Run ${r.startedAt}. \`${r.command}\``,
    `An HTTP origin answering in ${s.delayMs} ms with \`Cache-Control: max-age=${s.maxAgeS}\`; every request sent at once on ${int(s.conns)} client connections already open, one request at a time on each;` +
      ` each round on fresh processes, which ${s.warmRuns} unmeasured run(s) of the same shape on other keys warm and connect, then measured on keys nothing has seen; subjects alternating;` +
      ` ${s.rounds} round(s) per cell, given up ${int(s.deadlineMs)} ms after the start.`,
    '',
    '| case | subject | all answered after (median) | each round, ms | origin requests (most in a round) | origin connections at most | answers, all rounds |',
    '|---|---|---:|---|---:|---:|---|',
    ...HTTP_CASES.flatMap((which) => r.cells.filter((c) => c.case === which).map((c) => cellRow(c, s))),
    '',
    ...HTTP_SUBJECTS.filter((subject) => r.subjects[subject] !== undefined).map((subject) => `- ${subject}: ${r.subjects[subject]}`),
  ];
  const crossCheck = r.cells.filter((c) => c.median?.subjectFetches !== undefined);
  if (crossCheck.length > 0) lines.push('', `dproxy's own count of origin fetches (METRICS origin_fetches, median round): ${crossCheck.map((c) => `${c.case} ${int(c.median!.subjectFetches!)}`).join(', ')}.`);
  if (r.targets.length > 0) lines.push('', '| target | figure | met |', '|---|---|---|');
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.figure} | ${t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met'} |`);
  return lines.join('\n') + '\n';
}
