// The access log: one line per request when --access-log is given, written as its answer leaves.
import type { Inbound } from '../bus/inbound.js';
import { statusOf } from '../protocol/status-of.js';
import type { Clock } from '../time/clock.js';
import type { Log } from './log.js';

const CACHE_HIT = /"cache_hit":(true|false)/;
const NODE = /"node":(\d+)/;

/**
 * `accept` with a line logged at `info` for each request as it is answered, as nginx's and
 * HAProxy's access logs: `op`, `key` (GETs), `status`, `cache_hit` and `node` when the answer
 * carries them (a proxy's, relayed as it is by the balancer), and `latency_ms` on the node's clock.
 * Installed only with --access-log: it costs a closure, a clock reading and a line per request.
 */
export function withAccessLog(accept: (message: Inbound) => void, log: Log, clock: Clock): (message: Inbound) => void {
  return (message) => {
    const start = clock.now();
    const request = message.request;
    accept({
      request,
      reply: (answer) => {
        // The fields a proxy adds sit at the end of its answer, whatever the size of its data.
        const tail = answer.length > 128 ? answer.slice(-128).toString() : answer.toString();
        const hit = CACHE_HIT.exec(tail);
        const node = NODE.exec(tail);
        log.info(
          {
            op: request.op,
            ...('key' in request ? { key: request.key } : {}),
            status: statusOf(answer),
            ...(hit === null ? {} : { cache_hit: hit[1] === 'true' }),
            ...(node === null ? {} : { node: Number(node[1]) }),
            latency_ms: clock.now() - start,
          },
          'request',
        );
        message.reply(answer);
      },
    });
  };
}
