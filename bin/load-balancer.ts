// bin/load-balancer: routes each request to a healthy proxy and fails over.
import { Option } from 'commander';
import { addresses, command, integer, kebabFlags, nonNegative, port } from '../lib/cli/options.js';
import { runUntilSignalled } from '../lib/net/lifecycle.js';
import { adminToken, checkOption, idleTimeoutOption, maxConnectionsOption, accessLogOption, logLevelOption, metricsPortOption, type WatchFlags } from '../lib/cli/node-flags.js';
import { startBalancer, type BalancerOptions } from '../lib/balancer/node.js';
import { DEFAULT_STRATEGY, strategies } from '../lib/balancer/strategies/registry.js';
import { DEFAULT_HOT_THRESHOLD } from '../lib/balancer/strategies/strategy.js';
import { realClock } from '../lib/time/clock.js';
import { nodeLog } from '../lib/log/log.js';

const DEFAULT_PROXIES = ['127.0.0.1:8001', '127.0.0.1:8002', '127.0.0.1:8003'];

const options = command('load-balancer', 'routes each request to a proxy, checks health, fails over')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 = any free port)', port, 9000)
  .option('--proxies <host:port...>', 'the proxies', addresses(DEFAULT_PROXIES), DEFAULT_PROXIES)
  .addOption(new Option('--strategy <name>', 'balancing strategy').choices(Object.keys(strategies)).default(DEFAULT_STRATEGY))
  .option('--hash-balance-factor <percent>', 'consistent_hash: most load a proxy takes, in percent of the mean, before a hot key spills', integer(100), 125)
  .option('--hash-hot-threshold <n>', 'consistent_hash: requests for one key in flight that let it spill off its proxy (0 = any key)', integer(0), DEFAULT_HOT_THRESHOLD)
  .option('--retries <n>', 'retries of a failed GET on other proxies', integer(0, 16), 2)
  .option('--retry-budget <percent>', 'retries allowed per 100 requests over 10 s', integer(0, 100), 20)
  .option('--slow-start <seconds>', 'a returning proxy ramps from 10% to 100% weight over this', nonNegative, 10)
  .option('--eject-after <n>', 'consecutive failed forwards that eject a proxy (0 = never)', integer(0), 5)
  .option('--eject-time <seconds>', 'first ejection; repeated ones last longer, up to 10x', nonNegative, 30)
  .option('--health-interval <ms>', 'milliseconds between probes of each proxy (inter)', integer(1), 1000)
  .option('--health-timeout <ms>', 'a probe slower than this failed', integer(1), 500)
  .option('--rise <n>', 'good probes that bring a proxy back', integer(1), 2)
  .option('--fall <n>', 'consecutive failures that take a proxy down', integer(1), 3)
  .option('--connect-timeout <ms>', 'connecting to a proxy slower than this failed', integer(1), 1000)
  // The default exceeds a proxy's slowest answer with its defaults: two --origin-timeout attempts
  // (a connect timeout and its retry, 2 x 2000 ms) and the backoff between them (at most 150 ms).
  .option('--request-timeout <ms>', "a request its proxy has not answered in this many ms gets PROXY_TIMEOUT (retried elsewhere only if the proxy is down); keep it above 2 x the proxies' --origin-timeout + 150", integer(1), 5000)
  .option('--admin-token <token>', 'enables PURGE, ADD_PROXY, DRAIN_PROXY, REMOVE_PROXY for requests carrying this token (give the proxies the same); without it they are refused', adminToken)
  .addOption(idleTimeoutOption())
  .addOption(maxConnectionsOption())
  .addOption(metricsPortOption())
  .addOption(logLevelOption())
  .addOption(accessLogOption())
  .addOption(checkOption())
  .parse(kebabFlags(process.argv))
  // Seconds on the command line for --slow-start and --eject-time; converted below.
  .opts<Omit<BalancerOptions, 'clock' | 'log'> & WatchFlags & { check?: boolean }>();

const log = nodeLog({ role: 'load-balancer', level: options.logLevel, clock: realClock });
await runUntilSignalled(
  'load-balancer',
  startBalancer({ ...options, slowStart: options.slowStart * 1000, ejectTime: options.ejectTime * 1000, log, clock: realClock }),
  log,
  options,
);
