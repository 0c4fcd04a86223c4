// The server edge's counters in a node's METRICS answer.
import type { Inbound } from '../bus/inbound.js';
import type { Answer } from '../protocol/response.js';
import { Status } from '../protocol/status.js';

/** The edge's own counters, which every node adds to the `data` of its METRICS answer (PROTOCOL.md). */
export interface EdgeMetrics {
  /** Client connections open now, the one asking included. */
  connections: number;
  /** Connections refused by --max-connections since start. */
  connections_refused: number;
  /** Connections closed by --idle-timeout since start. */
  idle_closed: number;
}

/**
 * `accept` with the edge's counters added to the data of every OK METRICS answer. A node's
 * actors answer METRICS from their own counters, and only the edge knows its connections, so it
 * adds its fields on the way out, as it adds the id. Other answers pass untouched, and METRICS is
 * no hot path: the answer is parsed and written again.
 */
export function withEdgeMetrics(accept: (message: Inbound) => void, metrics: () => EdgeMetrics): (message: Inbound) => void {
  return (message) => {
    if (message.request.op !== 'METRICS') return accept(message);
    accept({ request: message.request, reply: (answer) => message.reply(withFields(answer, metrics())) });
  };
}

function withFields(answer: Answer, fields: EdgeMetrics): Answer {
  let value: { status?: unknown; data?: unknown };
  try {
    value = JSON.parse(answer.toString()) as typeof value;
  } catch {
    return answer;
  }
  if (value.status !== Status.OK || typeof value.data !== 'object' || value.data === null || Array.isArray(value.data)) return answer;
  return JSON.stringify({ ...value, data: { ...value.data, ...fields } });
}
