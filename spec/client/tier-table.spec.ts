import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { renderTierTable } from '../../lib/client/tier-table.js';
import { tierView, type Reading } from '../../lib/client/tier-view.js';

// Compiled to dist/spec/client/; the fixtures stay in the source tree.
const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'spec', 'client', 'fixtures');
const sample = JSON.parse(readFileSync(path.join(fixtures, 'balancer-metrics.json'), 'utf8')) as { before: Reading; latest: Reading };

describe('tier table', () => {
  it('draws two readings of a fixed METRICS sample exactly as the stored expectation', () => {
    const expected = readFileSync(path.join(fixtures, 'watch-expected.txt'), 'utf8');
    expect(renderTierTable(tierView(sample.before, sample.latest), '127.0.0.1:9000', false)).to.equal(expected);
  });

  it('shows - for rates from a single reading', () => {
    const text = renderTierTable(tierView(undefined, sample.before), '127.0.0.1:9000', false);
    expect(text).to.include('requests 15,000  - req/s');
    expect(text).to.match(/127\.0\.0\.1:8001 +up +- +90\.0 +2 +4\n/);
  });

  it('colours only the state when asked, and nothing otherwise', () => {
    const view = tierView(sample.before, sample.latest);
    expect(renderTierTable(view, 'x', false)).to.not.include('\x1b[');
    const coloured = renderTierTable(view, 'x', true);
    expect(coloured).to.include('\x1b[31mdown');
    expect(coloured).to.include('\x1b[32mup');
    expect(coloured.replace(/\x1b\[\d+m/g, '')).to.equal(renderTierTable(view, 'x', false));
  });
});
