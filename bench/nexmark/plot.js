// Draws docs/benchmarks-nexmark.svg from a run's results.tsv (bench/nexmark/run.sh)
// and the published figures in anchors.tsv: per query, sluice's events/s per
// core next to Feldera's and Flink's per-core throughput (16-core runs
// divided by 16), on a log scale, with issue 10's per-core targets marked.
// Plain SVG text, no packages:
//   node bench/nexmark/plot.js build/bench/nexmark/results.tsv docs/benchmarks-nexmark.svg
const fs = require('fs');
const path = require('path');

const [resultsPath, outPath] = process.argv.slice(2);
if (!resultsPath || !outPath) {
  console.error('usage: node plot.js RESULTS.tsv OUT.svg');
  process.exit(2);
}

function readTsv(p) {
  const lines = fs.readFileSync(p, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  const head = lines[0].split('\t');
  return lines.slice(1).map((l) => {
    const cells = l.split('\t');
    const row = {};
    head.forEach((h, i) => { row[h] = cells[i]; });
    return row;
  });
}

const results = readTsv(resultsPath);
const anchors = {};
for (const a of readTsv(path.join(__dirname, 'anchors.tsv'))) anchors[a.query] = a;
const target = (q) => (['q0', 'q1', 'q2'].includes(q) ? 5e6 : ['q3', 'q4', 'q5', 'q6', 'q7', 'q8'].includes(q) ? 1e6 : null);

const series = [
  { key: 'sluice', label: 'sluice (1 core, this machine)', color: '#1f5fa8' },
  { key: 'feldera', label: 'Feldera, 16 cores ÷ 16', color: '#e08a2c' },
  { key: 'flink', label: 'Flink, 16 cores ÷ 16', color: '#9a9a9a' },
];
const rows = results.map((r) => {
  const a = anchors[r.query] || {};
  return {
    query: r.query,
    status: r.status,
    sluice: r.status === 'ok' ? Number(r.events_per_cpu_s) : null,
    feldera: a.feldera16_events_s ? Number(a.feldera16_events_s) / 16 : null,
    flink: a.flink16_events_s ? Number(a.flink16_events_s) / 16 : null,
  };
});

const W = 860, left = 70, right = 30, top = 64, barH = 9, rowGap = 12;
const rowH = series.length * barH + rowGap;
const H = top + rows.length * rowH + 60;
const lo = 1e4, hi = 2e7;
const x = (v) => left + (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) * (W - left - right);
const fmt = (v) => (v >= 1e6 ? (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + 'M' : Math.round(v / 1e3) + 'k');
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

const out = [];
out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
out.push(`<text x="${left}" y="18" font-size="14" font-weight="bold">Nexmark throughput per core (events/s, log scale)</text>`);
series.forEach((s, i) => {
  const lx = left + i * 230;
  out.push(`<rect x="${lx}" y="30" width="12" height="10" fill="${s.color}"/><text x="${lx + 16}" y="39">${esc(s.label)}</text>`);
});
out.push(`<line x1="${left + 700}" y1="29" x2="${left + 700}" y2="41" stroke="#c0392b" stroke-width="2"/><text x="${left + 705}" y="39">target</text>`);
for (let e = 4; e <= 7; e++) {
  for (const m of [1, 2, 5]) {
    const v = m * 10 ** e;
    if (v < lo || v > hi) continue;
    const gx = x(v);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${H - 40}" stroke="${m === 1 ? '#ccc' : '#eee'}"/>`);
    out.push(`<text x="${gx}" y="${H - 26}" text-anchor="middle" fill="#555">${fmt(v)}</text>`);
  }
}
rows.forEach((r, i) => {
  const y0 = top + i * rowH;
  out.push(`<text x="${left - 8}" y="${y0 + rowH / 2}" text-anchor="end" font-weight="bold">${esc(r.query)}</text>`);
  series.forEach((s, k) => {
    const v = r[s.key];
    const y = y0 + k * barH;
    if (v) {
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(v) - left)}" height="${barH - 1}" fill="${s.color}"/>`);
      out.push(`<text x="${x(v) + 4}" y="${y + barH - 1}" font-size="9" fill="#333">${fmt(v)}</text>`);
    } else if (s.key === 'sluice') {
      out.push(`<text x="${left + 4}" y="${y + barH - 1}" font-size="9" fill="#a00">${r.status === 'skipped' ? 'not runnable in sluice yet' : esc(r.status || '')}</text>`);
    }
  });
  const t = target(r.query);
  if (t) out.push(`<line x1="${x(t)}" y1="${y0 - 2}" x2="${x(t)}" y2="${y0 + series.length * barH + 1}" stroke="#c0392b" stroke-width="2"/>`);
});
out.push(`<text x="${left}" y="${H - 8}" fill="#555">sluice: events / CPU second of one pinned process (bench/nexmark/run.sh); others: published 16-core figures ÷ 16 (docs/BENCHMARKS.md).</text>`);
out.push('</svg>');
fs.writeFileSync(outPath, out.join('\n') + '\n');
