// The balancer's stats page: one self-contained HTML document (inline CSS and JS) polling /stats.json once a second.
import { tierView } from '../client/tier-view.js';

/**
 * What GET / on the balancer's metrics port serves. No external asset, no websocket: the script
 * fetches `stats.json` every second and redraws a row per proxy (state and reason in a colour per
 * state, requests/s with a sparkline of the last two minutes, hit ratio, in flight, p99) under the
 * tier's totals. The rows are computed by the same `tierView` as `bin/client --watch`, whose
 * source is embedded. Rows carry `data-proxy` and `data-state`, for people's tools and the
 * browser spec. Its history lives in the page: a reload starts the sparklines afresh.
 */
export const STATS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dproxy stats</title>
<style>
  :root { --up: #2e7d32; --down: #c62828; --ejected: #ef6c00; --draining: #1565c0; --slow: #b28704; --ink: #1d2330; --muted: #6b7280; --line: #e5e7eb; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f7f8fa; }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #1d2330; color: #fff; }
  header h1 { margin: 0; font-size: 18px; font-weight: 600; }
  header .meta { color: #c5cad3; }
  #status { margin-left: auto; font-size: 13px; }
  #status.stale { color: #ffb4a8; font-weight: 600; }
  main { padding: 16px 24px; }
  .totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 18px; }
  .card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
  .card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  .card .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
  table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
  th, td { padding: 9px 12px; text-align: right; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; white-space: nowrap; }
  th { background: #f1f3f6; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
  th:first-child, td:first-child, th.state, td.state { text-align: left; }
  td.address { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
  .pill { display: inline-block; min-width: 74px; padding: 2px 10px; border-radius: 999px; color: #fff; font-weight: 600; text-align: center; }
  .reason { color: var(--muted); margin-left: 8px; }
  tr[data-state="up"] .pill { background: var(--up); }
  tr[data-state="down"] .pill { background: var(--down); }
  tr[data-state="down"] { background: #fdecea; }
  tr[data-state="ejected"] .pill { background: var(--ejected); }
  tr[data-state="ejected"] { background: #fff3e0; }
  tr[data-state="draining"] .pill { background: var(--draining); }
  tr[data-state="slow start"] .pill { background: var(--slow); }
  .spark { vertical-align: middle; margin-left: 10px; }
  .spark polyline { fill: none; stroke: #3b82f6; stroke-width: 1.5; }
  footer { padding: 0 24px 16px; color: var(--muted); font-size: 12px; }
</style>
</head>
<body>
<header><h1>dproxy load balancer</h1><span class="meta" id="strategy"></span><span id="status">connecting...</span></header>
<main>
  <section class="totals">
    <div class="card"><div class="label">requests/s</div><div class="value" id="rps">-</div><div id="rps-spark"></div></div>
    <div class="card"><div class="label">requests</div><div class="value" id="requests">-</div></div>
    <div class="card"><div class="label">errors</div><div class="value" id="errors">-</div></div>
    <div class="card"><div class="label">retries</div><div class="value" id="retries">-</div></div>
    <div class="card"><div class="label">retry budget (10 s)</div><div class="value" id="budget">-</div></div>
    <div class="card"><div class="label">p50 / p90 / p99, last minute</div><div class="value" id="latency">-</div></div>
  </section>
  <table>
    <thead><tr><th>proxy</th><th class="state">state</th><th>requests/s</th><th>hit ratio</th><th>in flight</th><th>p99, last minute</th></tr></thead>
    <tbody id="proxies"></tbody>
  </table>
</main>
<footer>Polls <a href="stats.json">stats.json</a> once a second. Prometheus metrics: <a href="metrics">/metrics</a>.</footer>
<script>
"use strict";
const tierView = ${tierView.toString()};
const HISTORY = 120;
const histories = new Map();
const totals = [];
let previous;
const esc = (text) => String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
const fixed = (n, digits) => (n === null ? "-" : n.toFixed(digits));
const grouped = (n) => Math.round(n).toLocaleString("en-US");
function remember(list, value) {
  list.push(value === null ? 0 : value);
  if (list.length > HISTORY) list.shift();
}
function sparkline(values) {
  if (values.length < 2) return "";
  // Drawn to the right edge; spread out while the history is short, two minutes once it is full.
  const w = 120, h = 24, step = w / (Math.max(values.length, 30) - 1), max = Math.max(1, ...values);
  const x0 = w - step * (values.length - 1);
  const points = values.map((v, i) => (x0 + i * step).toFixed(1) + "," + (h - 1 - (v / max) * (h - 2)).toFixed(1)).join(" ");
  return '<svg class="spark" viewBox="0 0 ' + w + " " + h + '" width="' + w + '" height="' + h + '"><polyline points="' + points + '"/></svg>';
}
function draw(view) {
  document.getElementById("strategy").textContent = view.strategy;
  remember(totals, view.rps);
  document.getElementById("rps").textContent = fixed(view.rps, 1);
  document.getElementById("rps-spark").innerHTML = sparkline(totals);
  document.getElementById("requests").textContent = grouped(view.requests);
  document.getElementById("errors").textContent = grouped(view.errors);
  document.getElementById("retries").textContent = grouped(view.retries);
  document.getElementById("budget").textContent = view.budget.used + " / " + view.budget.allowed;
  document.getElementById("latency").textContent = view.latency.p50 + " / " + view.latency.p90 + " / " + view.latency.p99 + " ms";
  const rows = view.proxies.map((p) => {
    if (!histories.has(p.address)) histories.set(p.address, []);
    const history = histories.get(p.address);
    remember(history, p.rps);
    return '<tr data-proxy="' + esc(p.address) + '" data-state="' + esc(p.state) + '">' +
      '<td class="address">' + esc(p.address) + "</td>" +
      '<td class="state"><span class="pill">' + esc(p.state) + "</span>" + (p.reason === null ? "" : '<span class="reason">' + esc(p.reason) + "</span>") + "</td>" +
      '<td class="rps">' + fixed(p.rps, 1) + sparkline(history) + "</td>" +
      '<td class="hit">' + (p.hitRatio === null ? "-" : (p.hitRatio * 100).toFixed(1) + " %") + "</td>" +
      '<td class="in-flight">' + p.inFlight + "</td>" +
      '<td class="p99">' + (p.p99 === null ? "-" : p.p99 + " ms") + "</td></tr>";
  });
  document.getElementById("proxies").innerHTML = rows.join("");
}
async function poll() {
  const status = document.getElementById("status");
  try {
    const answer = await fetch("stats.json", { cache: "no-store" });
    if (!answer.ok) throw new Error("HTTP " + answer.status);
    const stats = await answer.json();
    const latest = { at: stats.now, metrics: stats.metrics };
    draw(tierView(previous, latest));
    previous = latest;
    status.textContent = "updated " + new Date(stats.now).toLocaleTimeString();
    status.className = "";
  } catch (err) {
    status.textContent = "cannot reach the balancer (" + err.message + "); retrying";
    status.className = "stale";
  }
  setTimeout(poll, 1000);
}
poll();
</script>
</body>
</html>
`;
