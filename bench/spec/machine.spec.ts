import { expect } from 'chai';
import { cpuTime, describeMachine, parseCpuTime, residentMemory, statusField } from '../lib/machine.js';

describe('statusField', () => {
  const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';

  it('reads a kB field of /proc/<pid>/status in MiB', () => {
    expect(statusField(status, 'VmRSS')).to.equal(100);
    expect(statusField(status, 'VmHWM')).to.equal(200);
  });

  it('is undefined for a field that is not there', () => {
    expect(statusField(status, 'VmSwap')).to.equal(undefined);
  });
});

describe('residentMemory', () => {
  it('reads this process: resident now, and a peak at least as large', async () => {
    const r = await residentMemory(process.pid);
    expect(r.rssMiB).to.be.above(0);
    expect(r.peakMiB).to.be.at.least(r.rssMiB);
  });
});

describe('describeMachine', () => {
  it('names the CPU, the cores and the memory', async () => {
    const m = await describeMachine();
    expect(m.nproc).to.be.at.least(1);
    expect(m.cpu).to.be.a('string').and.not.equal('');
    expect(m.memoryMiB).to.be.above(0);
  });
});

describe('parseCpuTime', () => {
  it('reads utime and stime (fields 14 and 15) in ms, past a command name with spaces and parentheses', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194304 900 0 0 0 1234 56 0 0 20 0 11 0';
    expect(parseCpuTime(stat)).to.deep.equal({ userMs: 12340, systemMs: 560 });
  });
});

describe('cpuTime', () => {
  it('reads this process, and what it reads grows with work done', async () => {
    const before = await cpuTime(process.pid);
    const until = performance.now() + 60;
    while (performance.now() < until) Math.sqrt(Math.random());
    const after = await cpuTime(process.pid);
    expect(after.userMs + after.systemMs).to.be.greaterThan(before.userMs + before.systemMs);
  });
});
