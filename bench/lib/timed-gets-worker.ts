// The worker thread behind `timedGetsApart`: runs one `timedGets` on its own event loop and posts the results.
import { parentPort, workerData } from 'node:worker_threads';
import { timedGets, type TimedGetsOptions } from './timed-gets.js';

parentPort!.postMessage(await timedGets(workerData as TimedGetsOptions));
