// Reads a V8 CPU profile (`node --cpu-prof`) into the functions that spent the most self time.
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Share of the profiled wall time the process was busy (not idle): 1 = one core saturated. */
export function busyShare(profile: CpuProfile): number {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  let busy = 0;
  profile.samples.forEach((id, i) => {
    if (!idle.has(id)) busy += profile.timeDeltas[i] ?? 0;
  });
  const wall = profile.endTime - profile.startTime;
  return wall > 0 ? Math.round((busy / wall) * 1000) / 1000 : 0;
}

export interface SelfTime {
  /** Function name, `(anonymous)`, or V8's `(garbage collector)`, `(program)`. */
  name: string;
  /** `file:line` (path from the repo's dist/ or node_modules/ on), or '' for V8's own entries. */
  location: string;
  selfMs: number;
  /** Share of the busy (not idle) time. */
  percent: number;
}

/** Functions by self time, largest first; `(idle)` is left out and not counted as busy. */
export function topSelfTime(profile: CpuProfile, count = 10): SelfTime[] {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const micros = new Map<string, { name: string; location: string; us: number }>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const frame = byNode.get(id)?.callFrame;
    if (frame === undefined || frame.functionName === '(idle)') return;
    const us = profile.timeDeltas[i] ?? 0;
    busy += us;
    const location = frame.url === '' ? '' : `${shortPath(frame.url)}:${frame.lineNumber + 1}`;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const key = `${name} ${location}`;
    const entry = micros.get(key) ?? { name, location, us: 0 };
    entry.us += us;
    micros.set(key, entry);
  });
  return [...micros.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({ name: e.name, location: e.location, selfMs: Math.round(e.us / 100) / 10, percent: busy === 0 ? 0 : Math.round((e.us / busy) * 1000) / 10 }));
}

export async function readProfile(file: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
}

function shortPath(url: string): string {
  const plain = url.replace(/^file:\/\//, '');
  const modules = plain.lastIndexOf('/node_modules/');
  if (modules !== -1) return plain.slice(modules + 1);
  const dist = plain.lastIndexOf('/dist/');
  return dist === -1 ? plain : plain.slice(dist + '/dist/'.length);
}
