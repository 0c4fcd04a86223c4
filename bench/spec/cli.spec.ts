import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { REPO, listOf } from '../lib/cli.js';

describe("the bench's command lines", () => {
  it('finds the repository root', () => {
    expect(existsSync(path.join(REPO, 'package.json'))).to.equal(true);
    expect(existsSync(path.join(REPO, 'bench', 'scripts'))).to.equal(true);
  });

  it('reads a list from a fixed set, in the order given, and refuses an empty list or another item', () => {
    const parse = listOf(['dproxy', 'nginx'] as const);
    expect(parse(' nginx, dproxy ,')).to.deep.equal(['nginx', 'dproxy']);
    expect(() => parse('')).to.throw('expected a comma-separated list of dproxy, nginx');
    expect(() => parse('dproxy,haproxy')).to.throw('expected a comma-separated list of dproxy, nginx');
  });
});
