import { expect } from 'chai';
import { formatLogLine, lineSplitter } from '../../lib/cluster/log-lines.js';

const LINE = '{"level":"warn","time":1700000000123,"role":"load-balancer","pid":7,"proxy":"127.0.0.1:8002","reason":"probe refused","msg":"proxy down"}';

describe('cluster log lines', () => {
  it('shows a line for a person: time (UTC), level, node name, message, other fields', () => {
    expect(formatLogLine('load-balancer', LINE, 'pretty')).to.equal('22:13:20.123 WARN  load-balancer  proxy down  proxy=127.0.0.1:8002 reason="probe refused"');
  });

  it('colours only the level when asked', () => {
    expect(formatLogLine('lb', LINE, 'pretty', true)).to.include('\x1b[33mWARN \x1b[0m');
  });

  it('passes raw JSON on with the node\'s name added first', () => {
    const out = formatLogLine('proxy-2', LINE, 'json');
    expect(JSON.parse(out)).to.deep.equal({ name: 'proxy-2', ...(JSON.parse(LINE) as object) });
    expect(out.startsWith('{"name":"proxy-2","level":"warn"')).to.equal(true);
  });

  it('shows a line that is not JSON as it is, after the name', () => {
    expect(formatLogLine('proxy-1', 'Error: listen EADDRINUSE', 'pretty')).to.match(/ proxy-1 +Error: listen EADDRINUSE$/);
    expect(formatLogLine('proxy-1', 'Error: listen EADDRINUSE', 'json')).to.equal('Error: listen EADDRINUSE');
  });

  it('splits chunks into whole lines, holding a partial one until its end', () => {
    const lines: string[] = [];
    const split = lineSplitter((line) => lines.push(line));
    split('{"a":1}\n{"b"');
    split(Buffer.from(':2}\n\n'));
    expect(lines).to.deep.equal(['{"a":1}', '{"b":2}']);
  });
});
