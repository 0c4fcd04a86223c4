// The balancer's stats page in headless Chromium (Debian's, driven by playwright-core): live rows, and a proxy dying.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { Client } from '../../lib/client/client.js';
import type { NodeProcess } from '../../lib/cluster/process.js';
import { Nodes, sleep } from './helpers.js';

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it), or the browser CHROMIUM_PATH names. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The metrics URL a node printed before its listening line. */
function metricsUrl(node: NodeProcess): string {
  const url = /metrics on (http:\/\/\S+)\/metrics/.exec(node.output())?.[1];
  if (url === undefined) throw new Error(`no metrics line in: ${node.output()}`);
  return url;
}

describe('stats page in headless Chromium (integration)', function () {
  this.timeout(60_000);
  const nodes = new Nodes();
  let browser: Browser | undefined;
  let profile: string | undefined;

  after(async () => {
    await browser?.close();
    await nodes.stopAll();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
  });

  it('shows live numbers for every proxy, then a killed proxy\'s row turns down', async () => {
    // No silent skip: without the browser this test fails and says how to get it.
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not at ${CHROMIUM}: install Debian's chromium (apt-get install chromium, as .ci/run does) or set CHROMIUM_PATH`);
    const origin = await nodes.start('origin', ['--port', '0']);
    const proxies: NodeProcess[] = [];
    for (let i = 0; i < 3; i++) proxies.push(await nodes.start('proxy', ['--port', '0', '--origin-port', String(origin.port)]));
    const addresses = proxies.map((p) => `127.0.0.1:${p.port}`);
    const balancer = await nodes.start('load-balancer', ['--port', '0', '--metrics-port', '0', '--strategy', 'round_robin', '--health-interval', '100', '--proxies', ...addresses]);

    // Traffic all along, so the page has rates to show.
    const client = new Client({ port: balancer.port, timeout: 2000 });
    let traffic = true;
    const load = (async () => {
      for (let i = 0; traffic; i++) {
        await client.get(`article/${(i % 20) + 1}`);
        await sleep(10);
      }
    })();

    try {
      profile = await mkdtemp(path.join(os.tmpdir(), 'dproxy-chromium-'));
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        // As root on a machine with no network but loopback: no sandbox, and none of Chromium's own calls home.
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      const page = await browser.newPage({ viewport: { width: 1100, height: 560 } });
      await page.goto(`${metricsUrl(balancer)}/`);

      const row = (address: string, state: string): string => `tr[data-proxy="${address}"][data-state="${state}"]`;
      for (const address of addresses) await page.waitForSelector(row(address, 'up'), { timeout: 10_000 });
      // Live: a rate from two readings, a hit ratio from the proxy's probe, requests counted.
      await page.waitForFunction(
        () => [...document.querySelectorAll('tbody tr')].every((tr) => tr.querySelector('.rps')!.textContent !== '-' && tr.querySelector('.hit')!.textContent !== '-'),
        undefined,
        { timeout: 10_000 },
      );
      expect(Number((await page.textContent('#requests'))!.replace(/,/g, ''))).to.be.greaterThan(0);
      expect(await page.textContent('#status')).to.match(/^updated /);

      // docs/stats-page.png is made with STATS_PAGE_SCREENSHOT=docs/stats-page.png: a little history first.
      const screenshot = process.env.STATS_PAGE_SCREENSHOT;
      if (screenshot !== undefined) await sleep(20_000);
      await proxies[1]!.stop();
      await page.waitForSelector(row(addresses[1]!, 'down'), { timeout: 10_000 });
      expect(await page.textContent(`${row(addresses[1]!, 'down')} .reason`)).to.match(/refused/);
      expect(await page.locator(row(addresses[0]!, 'up')).count()).to.equal(1);
      if (screenshot !== undefined) await page.screenshot({ path: screenshot });
    } finally {
      traffic = false;
      await load;
      client.close();
    }
  });
});
