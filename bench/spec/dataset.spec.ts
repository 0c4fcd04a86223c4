import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { document, writeDocuments } from '../lib/dataset.js';
import { seededRandom } from '../lib/random.js';
import { removeDir, tempDir } from '../../spec/integration/helpers.js';

describe('writeDocuments', () => {
  let dir: string;
  before(async () => (dir = await tempDir()));
  after(() => removeDir(dir));

  it('writes <prefix>1..<prefix>n as JSON files of the asked size, all different', async () => {
    const keys = await writeDocuments(dir, 'bench/k', 50, 300);
    expect(keys).to.have.length(50);
    expect(keys[0]).to.equal('bench/k1');
    expect(keys[49]).to.equal('bench/k50');
    const texts = await Promise.all(keys.map((key) => readFile(path.join(dir, `${key}.json`), 'utf8')));
    for (const text of texts) {
      expect(text).to.have.length(300);
      expect(JSON.stringify(JSON.parse(text))).to.equal(text);
    }
    expect(new Set(texts).size).to.equal(50);
  });

  it('writes the same bytes for the same seed', () => {
    expect(document(7, 1000, seededRandom(3))).to.equal(document(7, 1000, seededRandom(3)));
  });
});
