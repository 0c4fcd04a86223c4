// What a benchmark ran on, and what a process holds in memory (Linux /proc).
import { readFile } from 'node:fs/promises';
import os from 'node:os';

export interface Machine {
  nproc: number;
  cpu: string;
  memoryMiB: number;
  node: string;
  kernel: string;
}

export async function describeMachine(): Promise<Machine> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(await readFile('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: os.cpus() said what it could.
  }
  return {
    nproc: os.availableParallelism(),
    cpu,
    memoryMiB: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
  };
}

export interface Resident {
  /** VmRSS: resident now. */
  rssMiB: number;
  /** VmHWM: the most it was ever resident. */
  peakMiB: number;
}

/** Reads a `<Field>: <n> kB` line of /proc/<pid>/status, in MiB. */
export function statusField(status: string, field: string): number | undefined {
  const kb = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status)?.[1];
  return kb === undefined ? undefined : Math.round((Number(kb) / 1024) * 10) / 10;
}

export async function residentMemory(pid: number): Promise<Resident> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rssMiB = statusField(status, 'VmRSS');
  const peakMiB = statusField(status, 'VmHWM');
  if (rssMiB === undefined || peakMiB === undefined) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return { rssMiB, peakMiB };
}

export interface Syscalls {
  reads: number;
  writes: number;
}

/**
 * Read and write system calls a process has made so far (/proc/<pid>/io syscr, syscw): the
 * read/write/readv/writev family, which is what Node's sockets use; send/recv are not counted.
 */
export async function syscalls(pid: number): Promise<Syscalls> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(io)?.[1] ?? NaN);
  return { reads: field('syscr'), writes: field('syscw') };
}

export interface CpuTime {
  userMs: number;
  systemMs: number;
}

/** A process's CPU time so far from the text of /proc/<pid>/stat (utime, stime: fields 14 and 15). */
export function parseCpuTime(stat: string): CpuTime {
  // The command name (field 2) is in parentheses and may hold spaces; count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Linux reports both in clock ticks of USER_HZ, 100 a second on every architecture Node runs on.
  const ms = (field: number): number => Number(fields[field - 3]) * 10;
  return { userMs: ms(14), systemMs: ms(15) };
}

/** CPU a process has used so far, its threads included (HAProxy's too). */
export async function cpuTime(pid: number): Promise<CpuTime> {
  return parseCpuTime(await readFile(`/proc/${pid}/stat`, 'utf8'));
}
