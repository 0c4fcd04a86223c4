// The balancer's TCP ports: forwarding over pooled links to each proxy, and probing over separate ones.
import { Observable } from 'rxjs';
import { UpstreamLink } from '../net/upstream.js';
import { PeerProfile } from '../net/peer-profile.js';
import { fillRequest, getRequest, type LinkRequest } from '../protocol/upstream-request.js';
import type { Clock } from '../time/clock.js';
import { parseAddress } from '../protocol/address.js';
import type { ProxyPorts } from './graph.js';

/** The proxy ports over TCP, and the links to close when the balancer stops. */
export interface ProxyLinks extends ProxyPorts {
  close(): void;
}

export interface LinkSettings {
  clock: Clock;
  connectTimeout: number;
  requestTimeout: number;
  healthTimeout: number;
}

/**
 * Probes travel on links of their own, so a probe never queues behind real traffic and a slow
 * miss can never make a healthy proxy look dead. Traffic goes as JSON with ids to a proxy that
 * echoes them (answers then come back in any order), else in the text form every proxy reads.
 * Probes, one at a time, try ids too, and the two links to a proxy share what they learn of it
 * (a `PeerProfile`): probes are answered at once, so the traffic link learns the proxy echoes ids
 * even while each of its warming connections is held by a slow miss. A spilled GET names the key's owner by its address
 * (`fillRequest`) in the JSON form only, so only a proxy that echoes ids (ours) sees the hint.
 */
export function proxyLinks(addresses: readonly string[], settings: LinkSettings): ProxyLinks {
  const make = (address: string, requestTimeout: number, pool: Pool, profile: PeerProfile) =>
    new UpstreamLink({ ...parseAddress(address), clock: settings.clock, connectTimeout: settings.connectTimeout, requestTimeout, ...pool, ids: true, profile });
  const traffic: UpstreamLink[] = [];
  const probes: UpstreamLink[] = [];
  const add = (address: string): number => {
    const profile = new PeerProfile();
    traffic.push(make(address, settings.requestTimeout, TRAFFIC, profile));
    probes.push(make(address, settings.healthTimeout, PROBES, profile));
    return traffic.length - 1;
  };
  for (const address of addresses) add(address);
  const names = [...addresses];
  return {
    forward: (proxy, key, done, fill) => traffic[proxy]!.request(fill === undefined ? getRequest(key) : fillRequest(key, names[fill]!), done),
    send: (proxy, request, done) => traffic[proxy]!.request(request, done),
    probe: (proxy) =>
      new Observable((subscriber) => {
        probes[proxy]!.request(METRICS, (failure, answer) => {
          if (failure !== null) {
            subscriber.next({ proxy, ok: false, reason: `probe ${failure}` });
          } else {
            const metrics = metricsData(answer.toString('utf8'));
            subscriber.next(metrics === undefined ? { proxy, ok: false, reason: 'probe garbage' } : { proxy, ok: true, metrics });
          }
          subscriber.complete();
        });
      }),
    open: (address) => {
      names.push(address);
      return add(address);
    },
    close: () => {
      for (const link of [...traffic, ...probes]) link.close();
    },
  };
}

interface Pool {
  maxConnections: number;
  keepAlive: number;
}

// With ids nothing waits behind a slow miss, so requests fill the first connection (up to the
// link's ids depth) before the next: fewer connections carry more requests per write. Two packed
// connections beat eight, and packing beat spreading, in `bench/bin/bench` runs against three
// proxies (docs/performance.md has the figures), so two are kept idle. The cap only bounds how
// many a burst may open: while every connection is full, or still proving it echoes ids (one
// request at a time), a request opens another rather than wait behind them.
const TRAFFIC: Pool = { maxConnections: 64, keepAlive: 2 };

// One probe at a time, on one connection kept open.
const PROBES: Pool = { maxConnections: 1, keepAlive: 1 };

const METRICS: LinkRequest = { text: 'METRICS', json: '{"op":"METRICS"}' };

function metricsData(answer: string): unknown {
  try {
    const value = JSON.parse(answer) as { status?: unknown; data?: unknown };
    return value.status === 'OK' && typeof value.data === 'object' ? value.data : undefined;
  } catch {
    return undefined;
  }
}
