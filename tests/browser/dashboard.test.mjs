// Browser test of the dashboard: opens the page served by
// build/dashboard_fake (whose fake provider advances one micro-batch per
// poll) in Debian's chromium through playwright-core, and checks that the
// charts move, the map of India fills in (ORISSA and CHATTISGARH reaching
// their regions through the name mapping), the sink and source tables show
// data, the page runs with no console errors (so the Content-Security-
// Policy admits the inline scripts), and that a token given as ?token=
// reaches /api/queries.  Waits are on page state, never on fixed sleeps.
//
//   node dashboard.test.mjs URL [TOKEN_URL] [SCREENSHOT.png]
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url, tokenUrl, shot] = process.argv.slice(2);
if (!url) { console.error("usage: node dashboard.test.mjs URL [TOKEN_URL] [SCREENSHOT]"); process.exit(2); }

let failures = 0, passes = 0;
function check(cond, msg) {
  if (cond) passes++; else { failures++; console.log("FAIL: " + msg); }
}

const profile = mkdtempSync(join(tmpdir(), "sluice-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1440, height: 1000 },
  deviceScaleFactor: 1,
});
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(url);
  await page.waitForFunction(() => window.sluiceDashboard?.stats.polls >= 1, null, { timeout: 20000 });
  const before = await page.evaluate(() => {
    const d = window.sluiceDashboard;
    const c = [...d.cards.values()][0];
    return {
      polls: d.stats.polls,
      points: c.plots[0].data[0].length,
      lastX: c.plots[0].data[0].at(-1),
      total: [...d.map.totals.values()].reduce((a, b) => a + b, 0),
    };
  });

  // The map fills in: ORISSA and CHATTISGARH, as the data spells them, must
  // colour the Odisha and Chhattisgarh regions.
  await page.waitForFunction(() =>
    Number(document.querySelector("#region-or")?.dataset.value) > 0 &&
    Number(document.querySelector("#region-ct")?.dataset.value) > 0 &&
    window.sluiceDashboard.stats.polls >= 6, null, { timeout: 30000 });

  const after = await page.evaluate(() => {
    const d = window.sluiceDashboard;
    const c = [...d.cards.values()][0];
    const regions = [...document.querySelectorAll("path.region")];
    const filled = regions.filter((p) => Number(p.dataset.value) > 0);
    const rows = [...document.querySelectorAll("#state-rows tr")].map((tr) => [...tr.children].map((td) => td.textContent));
    return {
      polls: d.stats.polls, errors: d.stats.errors,
      points: c.plots[0].data[0].length,
      lastX: c.plots[0].data[0].at(-1),
      series: c.plots.map((u) => u.data.slice(1).map((s) => s.filter((v) => v != null).length)),
      total: [...d.map.totals.values()].reduce((a, b) => a + b, 0),
      totals: Object.fromEntries(d.map.totals),
      filled: filled.length,
      filledColours: new Set(filled.map((p) => p.getAttribute("fill"))).size,
      emptyFill: regions.find((p) => !(Number(p.dataset.value) > 0))?.getAttribute("fill"),
      regionValues: Object.fromEntries(regions.map((p) => [p.id.slice(7), Number(p.dataset.value)])),
      tableRows: rows,
      cards: document.querySelectorAll("section.query").length,
      sinkRows: document.querySelectorAll("section.query table.latest tbody tr").length,
      sourceRows: document.querySelectorAll("section.query table.grid:not(.latest) tbody tr").length,
      uplots: document.querySelectorAll(".uplot canvas").length,
    };
  });
  check(after.polls > before.polls, "no polls happened");
  check(after.errors === 0, `${after.errors} polls failed`);
  check(after.points > before.points || after.lastX > before.lastX, `charts did not move: ${before.points}/${before.lastX} -> ${after.points}/${after.lastX}`);
  check(after.series.every((s) => s.every((n) => n === after.points)), `chart series not filled: ${JSON.stringify(after.series)}`);
  check(after.uplots >= 6, `expected 3 charts per query, found ${after.uplots} canvases`);
  check(after.total > before.total, `map totals did not grow: ${before.total} -> ${after.total}`);
  check(after.filled >= 4, `only ${after.filled} regions filled`);
  check(after.filledColours >= 2, "all filled regions have one colour: no scale");
  check(after.emptyFill && after.emptyFill !== "", "regions without data have no fill");
  // The regions hold exactly the accumulated totals (mapping by name).
  const want = { or: after.totals["ORISSA"] || 0, ct: after.totals["CHATTISGARH"] || 0,
                 mp: after.totals["MADHYA PRADESH"] || 0, wb: after.totals["WEST BENGAL"] || 0 };
  for (const [id, v] of Object.entries(want))
    check(after.regionValues[id] === v, `region ${id} shows ${after.regionValues[id]}, totals say ${v}`);
  check(after.tableRows.some((r) => r[0] === "ORISSA" && r[1] === "Odisha"), "table does not map ORISSA to Odisha");
  check(after.tableRows.some((r) => r[0] === "CHATTISGARH" && r[1] === "Chhattisgarh"), "table does not map CHATTISGARH to Chhattisgarh");
  check(after.cards === 2, `expected 2 query cards, found ${after.cards}`);
  check(after.sinkRows >= 3, "latest sink rows not shown");
  check(after.sourceRows >= 4, "source rows not shown");
  check(errors.length === 0, "console errors: " + errors.join(" | "));

  if (shot) {
    await page.waitForFunction((n) => window.sluiceDashboard.stats.polls >= n, after.polls + 2, { timeout: 20000 });
    await page.screenshot({ path: shot, fullPage: false });
    console.log("screenshot: " + shot);
  }

  if (tokenUrl) {
    const p2 = await ctx.newPage();
    const errs2 = [];
    p2.on("pageerror", (e) => errs2.push(String(e)));
    await p2.goto(tokenUrl);
    await p2.waitForFunction(() => window.sluiceDashboard?.stats.polls >= 2, null, { timeout: 20000 });
    const s = await p2.evaluate(() => window.sluiceDashboard.stats);
    check(s.errors === 0, `token page had ${s.errors} failed polls`);
    check(errs2.length === 0, "token page errors: " + errs2.join(" | "));
  }
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
