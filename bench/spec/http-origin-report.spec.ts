import { expect } from 'chai';
import { keysFor } from '../lib/http-origin.js';
import { httpCell, httpTargets, renderHttpOrigin, type HttpCell, type HttpOriginResult, type HttpRound } from '../lib/http-origin-report.js';

function round(allAnsweredMs: number, originRequests: number, ok = 1000, errors: Record<string, number> = {}): HttpRound {
  const requests = ok + Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    allAnsweredMs,
    answers: { requests, ok, cacheMisses: 0, errors, answeredAt: {} },
    originRequests,
    origin: { gets: originRequests, maxInFlight: originRequests, maxBusyConnections: originRequests, maxConnections: originRequests },
  };
}

const settings: HttpOriginResult['settings'] = { requests: 1000, conns: 1000, delayMs: 50, maxAgeS: 60, rounds: 3, warmRuns: 3, deadlineMs: 30_000, nginxWorkers: 1, nginxKeepalive: 64 };

describe('HTTP-origin figures', () => {
  describe('keysFor', () => {
    it('gives distinct cold keys, or one key asked every time', () => {
      expect(keysFor('cold-keys', 3)).to.deep.equal(['cold-1', 'cold-2', 'cold-3']);
      expect(keysFor('one-key', 3, 'warm-')).to.deep.equal(['warm-hot', 'warm-hot', 'warm-hot']);
    });
  });

  describe('httpCell', () => {
    it('takes the median round by time, the most origin requests of any round, and every round\'s answers', () => {
      const cell = httpCell('dproxy', 'one-key', [round(300, 1), round(100, 2), round(200, 1, 999, { NO_ANSWER: 1 })]);
      expect(cell.median!.allAnsweredMs).to.equal(200);
      expect(cell.maxOriginRequests).to.equal(2);
      expect(cell.totals).to.deep.equal({ requests: 3000, ok: 2999, errors: { NO_ANSWER: 1 } });
      expect(cell.rounds).to.have.length(3);
    });

    it('takes the lower middle round of an even count', () => {
      expect(httpCell('nginx', 'cold-keys', [round(400, 1000), round(100, 1000)]).median!.allAnsweredMs).to.equal(100);
    });

    it('has no figure without a round', () => {
      expect(httpCell('nginx', 'cold-keys', []).median).to.equal(undefined);
    });
  });

  describe('httpTargets', () => {
    const cells = (ours: HttpRound, theirs: HttpRound): HttpCell[] => [httpCell('dproxy', 'one-key', [ours]), httpCell('nginx', 'one-key', [theirs])];

    it('is met with as few origin requests and an earlier or equal last answer', () => {
      const [t] = httpTargets(settings, cells(round(80, 1), round(600, 1)));
      expect(t!.met).to.equal(true);
      expect(t!.figure).to.equal('dproxy 1 origin requests, 80 ms; nginx 1, 600 ms');
      expect(httpTargets(settings, cells(round(600, 1), round(600, 1)))[0]!.met).to.equal(true);
    });

    it('is not met with more origin requests, a later last answer, or an error of ours', () => {
      expect(httpTargets(settings, cells(round(80, 2), round(600, 1)))[0]!.met).to.equal(false);
      expect(httpTargets(settings, cells(round(601, 1), round(600, 1)))[0]!.met).to.equal(false);
      const failing = httpTargets(settings, cells(round(80, 1, 999, { ORIGIN_FAILURE: 1 }), round(600, 1)))[0]!;
      expect(failing.met).to.equal(false);
      expect(failing.figure).to.contain('dproxy errors ORIGIN_FAILURE=1');
    });

    it('is not measured when either side has no figure, saying why', () => {
      const [t] = httpTargets(settings, [{ subject: 'dproxy', case: 'cold-keys', unavailable: 'not available: no --origin-url' }, httpCell('nginx', 'cold-keys', [round(300, 1000)])]);
      expect(t).to.deep.equal({
        target: "1,000 concurrent GETs of distinct cold keys: origin requests <= nginx's, all answered no later",
        figure: 'not measured: dproxy not available: no --origin-url',
        met: null,
      });
      expect(httpTargets(settings, [httpCell('dproxy', 'cold-keys', [round(300, 1000)])])[0]!.figure).to.equal('not measured: nginx not in this run');
    });

    it('judges only the cases that ran', () => {
      expect(httpTargets(settings, cells(round(80, 1), round(600, 1)))).to.have.length(1);
      expect(httpTargets(settings, [])).to.deep.equal([]);
    });
  });

  describe('renderHttpOrigin', () => {
    const cells: HttpCell[] = [
      httpCell('dproxy', 'cold-keys', [round(250, 1000), round(230, 1000), round(260, 1000)]),
      { subject: 'nginx', case: 'cold-keys', unavailable: 'not available: install failed: no apt-get' },
    ];
    const text = renderHttpOrigin({ startedAt: 'T', command: 'npm run bench', settings, subjects: { dproxy: 'one proxy', nginx: 'nginx' }, cells, targets: httpTargets(settings, cells) });

    it('has a row per subject and case, with the median, each round and the origin requests', () => {
      expect(text).to.contain('| 1,000 concurrent GETs of distinct cold keys | dproxy | 250 ms | 250, 230, 260 | 1,000 | 1,000 | OK 3,000 |');
    });

    it('says why a subject has no figure, in its row and in the goal', () => {
      expect(text).to.contain('| 1,000 concurrent GETs of distinct cold keys | nginx | not available: install failed: no apt-get | | | | |');
      expect(text).to.contain('| not measured: nginx not available: install failed: no apt-get | not measured |');
    });

    it('describes the subjects under the table', () => {
      expect(text).to.contain('- dproxy: one proxy');
      expect(text).to.contain('- nginx: nginx');
    });
  });
});
