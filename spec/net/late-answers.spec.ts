// What a connection owes after its requests time out: late answers known as such, by id and in order.
import { expect } from 'chai';
import { LateAnswers, RETIRE_AFTER_UNANSWERED_TIMEOUTS } from '../../lib/net/late-answers.js';

describe('LateAnswers', () => {
  it('knows an answer by id as late once, and says when so many are owed that the connection should retire', () => {
    const late = new LateAnswers();
    const verdicts = Array.from({ length: RETIRE_AFTER_UNANSWERED_TIMEOUTS }, (_, i) => late.owedById(100 + i));
    expect(verdicts).to.deep.equal([...Array.from({ length: RETIRE_AFTER_UNANSWERED_TIMEOUTS - 1 }, () => false), true]);
    expect(late.droppedById(100)).to.equal(true);
    expect(late.droppedById(100), 'dropped once').to.equal(false);
    expect(late.droppedById(999), 'never owed').to.equal(false);
  });

  it('owes one answer in order until it comes, overdue from its due time on', () => {
    const late = new LateAnswers();
    expect(late.owesInOrder).to.equal(false);
    expect(late.overdue(1_000_000)).to.equal(false);
    late.owedInOrder(300);
    expect(late.owesInOrder).to.equal(true);
    expect(late.overdue(299)).to.equal(false);
    expect(late.overdue(300)).to.equal(true);
    late.settledInOrder();
    expect(late.owesInOrder).to.equal(false);
    expect(late.overdue(300)).to.equal(false);
  });
});
