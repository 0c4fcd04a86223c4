import { expect } from 'chai';
import { describeMachine, residentMemory, statusField } from '../../lib/bench/machine.js';

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
