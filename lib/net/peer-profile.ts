// What the links to one peer have learned of it: whether it answers one request per connection, and whether it echoes ids.

/**
 * The peer's kind as its answers have shown it, shared by every link to that peer (the
 * balancer's traffic and probe links to a proxy), so what one learns the other uses at once: a
 * traffic link whose warming connections are all held by slow misses still learns that the proxy
 * echoes ids from the probes, which are answered at once. PROTOCOL.md's interop rule is what is
 * learned: a peer that closes after one answer is one-shot (the original Python nodes); one whose
 * answer echoes a request's id matches answers by id. A refused connection (the peer restarted,
 * maybe as another program) forgets both (`forget()`).
 */
export class PeerProfile {
  /** True once a connection that had answered one request was closed with more unanswered. */
  oneShot = false;
  /** True once an answer to a request with an id lacked it: the peer gets text only. */
  noIds = false;
  /** True once an answer echoed a trial request's id, until `noIds` or `forget()`. */
  echoesIds = false;

  /** The peer's answer showed it does not echo ids. */
  learnNoIds(): void {
    this.noIds = true;
    this.echoesIds = false;
  }

  /** The peer refused a connection: it may have restarted as another program. */
  forget(): void {
    this.oneShot = false;
    this.noIds = false;
    this.echoesIds = false;
  }
}
