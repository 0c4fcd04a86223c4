// bin/proxy: a caching node in front of an origin.
import { InvalidArgumentError, Option } from 'commander';
import { FOREVER, addresses, command, integer, kebabFlags, nonNegative, port, ttlSeconds } from '../lib/cli/options.js';
import { runUntilSignalled } from '../lib/net/lifecycle.js';
import { adminToken, checkOption, idleTimeoutOption, maxConnectionsOption, accessLogOption, logLevelOption, metricsPortOption, type WatchFlags } from '../lib/cli/node-flags.js';
import { startProxy, type ProxyOptions } from '../lib/proxy/node.js';
import { UPSTREAM_MAX_CONNECTIONS } from '../lib/net/upstream.js';
import { parseOriginHeader, parseOriginUrl, type OriginUrl } from '../lib/proxy/origin-url.js';
import { DEFAULT_RETRY_ON, parseRetryOn } from '../lib/proxy/retry-on.js';
import type { FailureCause } from '../lib/proxy/messages.js';
import { realClock } from '../lib/time/clock.js';
import { nodeLog } from '../lib/log/log.js';

const program = command('proxy', 'caches what the origin serves (TTL or LRU, bounded memory)')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 = any free port)', port, 8001)
  .option('--origin-host <host>', 'origin address', '127.0.0.1')
  .option('--origin-port <port>', 'origin port', port, 8000)
  .option('--origin-url <url>', 'an HTTP origin (http://host:port/base/) instead of --origin-host/--origin-port: GET <key> becomes GET <base><key>', originUrl)
  .option('--origin-header <header>', 'a header every request to the --origin-url origin carries, "Name: value" (repeatable), as nginx\'s proxy_set_header', originHeader)
  .addOption(new Option('--cache-type <type>', 'eviction policy').choices(['ttl', 'lru']).default('ttl'))
  .option('--ttl <seconds>', `seconds a value is fresh; 0 = not cached, "${FOREVER}" = never expires (ttl: default 30; lru: default ${FOREVER})`, ttlSeconds)
  .option('--lru-capacity <entries>', 'entries an lru cache holds', integer(1), 1000)
  .option('--cache-max-bytes <bytes>', 'bytes of values held at most', integer(1), 64 * 1024 * 1024)
  .option('--origin-timeout <ms>', 'an origin answer slower than this failed (not retried unless --origin-retry-on names response-timeout)', integer(1), 2000)
  .addOption(
    new Option('--origin-retry-on <causes>', 'failed origin fetches retried once, as HAProxy\'s retry-on: conn-failure, empty-response, junk-response, response-timeout, error-status (comma-separated), or none, or all')
      .argParser(retryOn)
      .default(DEFAULT_RETRY_ON, DEFAULT_RETRY_ON.join(',')),
  )
  .option('--origin-max-connections <n>', 'connections to the origin at most; misses past them wait in line', integer(1), UPSTREAM_MAX_CONNECTIONS)
  .option('--grace <seconds>', 'past TTL, serve the stale value at once while one refresh runs', nonNegative, 0)
  .option('--stale-if-error <seconds>', 'past TTL, serve the stale value when the origin fails', nonNegative, 0)
  .option('--negative-ttl <seconds>', 'cache NOT_FOUND answers this long', nonNegative, 0)
  .option('--keep <seconds>', 'past its fresh time, keep an HTTP answer with an ETag or Last-Modified this long for a conditional refresh', nonNegative, 600)
  .option('--max-object-size <bytes>', "an HTTP origin's body larger than this fails the fetch", integer(1), 8 * 1024 * 1024)
  .option('--admin-token <token>', 'enables PURGE and ADD_PEER for requests carrying this token; without it they are refused', adminToken)
  .option('--peers <host:port...>', 'the other proxies, as the balancer names them: a miss it spilled here from one of them is filled from it', addresses(), [])
  .addOption(idleTimeoutOption())
  .addOption(maxConnectionsOption())
  .addOption(metricsPortOption())
  .addOption(logLevelOption())
  .addOption(accessLogOption())
  .addOption(checkOption())
  .parse(kebabFlags(process.argv));
const options = program.opts<Omit<ProxyOptions, 'clock' | 'ttl' | 'log' | 'originHeaders'> & WatchFlags & { ttl?: number; check?: boolean; originHeader?: Record<string, string> }>();

if (options.originHeader !== undefined && options.originUrl === undefined) program.error("error: option '--origin-header' needs --origin-url: only an HTTP origin takes headers");

function originHeader(text: string, previous: Record<string, string> | undefined): Record<string, string> {
  try {
    const [name, value] = parseOriginHeader(text);
    return { ...previous, [name]: value };
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function retryOn(text: string): FailureCause[] {
  try {
    return parseRetryOn(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function originUrl(text: string): OriginUrl {
  try {
    return parseOriginUrl(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const ttl = options.ttl ?? (options.cacheType === 'ttl' ? 30 : Infinity);
const log = nodeLog({ role: 'proxy', level: options.logLevel, clock: realClock });
const { originHeader: originHeaders, ...flags } = options;
const proxyOptions = { ...flags, ttl, ...(originHeaders === undefined ? {} : { originHeaders }) };
await runUntilSignalled('proxy', startProxy({ ...proxyOptions, log, clock: realClock }), log, proxyOptions);
