// sluice dashboard: polls /api/queries every second and draws, per query,
// its StreamingQueryProgress history (uPlot charts), sources, watermark and
// the latest rows of its sink; and, for any query whose latest rows have
// the columns State and target_customers (the reference's
// Statewide_customer_count), a choropleth map of India with the total per
// State accumulated across batches and the latest batch's value.
// Globals from the other inlined scripts: uPlot, INDIA (map data), regionOf.
"use strict";

const POLL_MS = 1000;
const TOKEN = new URLSearchParams(location.search).get("token");
const PALETTE = ["#fff5e6", "#fee0b6", "#fdc58a", "#fca55d", "#f7813b", "#e85d26", "#c73e1d", "#9a2a14"];
const EMPTY_FILL = "#e4e7ee";

const cards = new Map();      // query key -> card state
const map = {
  totals: new Map(),          // data State name -> total target customers
  last: new Map(),            // data State name -> value in the latest batch
  seenBatch: new Map(),       // query key -> last batchId added to totals
  lastBatchId: null,
  regions: new Map(),         // region id -> {path, label, name}
};
const stats = { polls: 0, errors: 0 };
window.sluiceDashboard = { stats, map, cards };

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}
const svgEl = (tag, attrs) => {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
};

const fmtNum = (v, digits = 1) =>
  v == null || Number.isNaN(v) ? "–" :
  Number.isInteger(v) ? v.toLocaleString("en-US") :
  v.toLocaleString("en-US", { maximumFractionDigits: digits });
const fmtTime = (iso) => iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "–";
const tsSec = (iso) => Date.parse(iso) / 1000;

// "topic[p] start → end" per partition when both sides are Kafka-style
// {"topic":{"partition":offset}} maps; the two JSON texts otherwise.
function fmtRange(start, end) {
  if (end && typeof end === "object" && (start == null || typeof start === "object")) {
    const parts = [];
    for (const [topic, ps] of Object.entries(end)) {
      if (!ps || typeof ps !== "object") continue;
      for (const [p, v] of Object.entries(ps)) {
        const s0 = start?.[topic]?.[p];
        parts.push(`${topic}[${p}] ${s0 == null ? "–" : fmtNum(s0)} → ${fmtNum(v)}`);
      }
    }
    if (parts.length) return parts.join(", ");
  }
  return `${fmtOffsets(start)} → ${fmtOffsets(end)}`;
}

function fmtOffsets(o) {
  if (o == null) return "–";
  if (typeof o !== "object") return String(o);
  const parts = [];
  for (const [topic, ps] of Object.entries(o)) {
    if (ps && typeof ps === "object")
      for (const [p, v] of Object.entries(ps)) parts.push(`${topic}[${p}] ${fmtNum(v)}`);
    else parts.push(`${topic} ${ps}`);
  }
  return parts.join(", ");
}

// ---- charts -----------------------------------------------------------

const CHARTS = [
  { title: "Rows per second", series: [
      { label: "input", stroke: "#2f6fde", fill: "rgba(47,111,222,0.08)" },
      { label: "processed", stroke: "#1f9d6b", scale: "proc" }],
    pick: (p) => [p.inputRowsPerSecond, p.processedRowsPerSecond] },
  { title: "Batch duration (ms)", series: [
      { label: "trigger", stroke: "#e0802b", fill: "rgba(224,128,43,0.10)" },
      { label: "addBatch", stroke: "#8a6d3b", dash: [4, 3] }],
    pick: (p) => [p.durationMs?.triggerExecution, p.durationMs?.addBatch] },
  { title: "State rows · late rows dropped", series: [
      { label: "state rows", stroke: "#7b4fd6" },
      { label: "dropped late", stroke: "#d63b4f", scale: "drop", paths: null, points: { show: true, size: 5 } }],
    pick: (p) => {
      const ops = p.stateOperators || [];
      return [ops.reduce((a, o) => a + (o.numRowsTotal || 0), 0),
              ops.reduce((a, o) => a + (o.numRowsDroppedByWatermark || 0), 0)];
    } },
];

// Axis labels in at most four characters (1.2k, 35k, 2.5M), so a second
// axis fits beside the plot at the narrow widths of a three-chart row.
const compact = (v) => v == null ? "" :
  Math.abs(v) >= 1e6 ? +(v / 1e6).toFixed(1) + "M" :
  Math.abs(v) >= 1e3 ? +(v / 1e3).toFixed(1) + "k" : String(+v.toFixed(2));
const compactValues = (u, vals) => vals.map(compact);

function makeChart(spec, parent) {
  const width = Math.max(240, parent.clientWidth - 4);
  const opts = {
    width, height: 150,
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, drop: { range: (u, min, max) => [0, Math.max(5, max)] },
              proc: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { stroke: "#6b7280", grid: { stroke: "#eef0f4" }, ticks: { stroke: "#e3e6ec" }, size: 32 },
      { stroke: "#6b7280", grid: { stroke: "#eef0f4" }, ticks: { stroke: "#e3e6ec" }, size: 44, values: compactValues },
    ],
    series: [{}, ...spec.series.map((s) => ({ width: 2, spanGaps: true, ...s }))],
  };
  // A second series on its own scale gets a right-hand axis in its colour
  // (processing runs orders of magnitude above the input rate; late rows
  // are few beside the state rows).
  for (const s of spec.series)
    if (s.scale) opts.axes.push({ scale: s.scale, side: 1, stroke: s.stroke, grid: { show: false }, size: 44, values: compactValues });
  return new uPlot(opts, [[], ...spec.series.map(() => [])], parent);
}

// ---- per-query cards ----------------------------------------------------

function queryKey(q) { return q.id || q.name; }

function makeCard(q) {
  const status = el("span", { class: "badge" });
  const facts = el("div", { class: "facts" });
  const chartBox = el("div", { class: "charts" });
  const sources = el("tbody");
  const latestHead = el("tr");
  const latestBody = el("tbody");
  const latestTitle = el("h3", {}, "Latest sink rows");
  const errorBox = el("pre", { class: "error", hidden: "" });
  const root = el("section", { class: "card query" },
    el("header", {}, el("h2", {}, q.name || q.id || "query"), status),
    errorBox, facts, chartBox,
    el("h3", {}, "Sources"),
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ...["source", "offsets (start → end)", "rows", "in rows/s", "proc rows/s"].map((h) => el("th", {}, h)))),
      sources),
    latestTitle,
    el("div", { class: "scroll" }, el("table", { class: "grid latest" }, el("thead", {}, latestHead), latestBody)));
  document.getElementById("queries").append(root);
  const plots = CHARTS.map((spec) => {
    const box = el("div", { class: "chart" }, el("div", { class: "chart-title" }, spec.title));
    chartBox.append(box);
    const u = makeChart(spec, box);
    // Follow the grid cell's width (it changes when a scroll bar appears or
    // the window is resized), or the chart overflows into its neighbour.
    new ResizeObserver(() => {
      const w = Math.max(240, box.clientWidth - 4);
      if (w !== u.width) u.setSize({ width: w, height: 150 });
    }).observe(box);
    return u;
  });
  return { root, status, facts, sources, latestHead, latestBody, latestTitle, errorBox, plots };
}

function fact(label, value, cls) {
  return el("div", { class: "fact" + (cls ? " " + cls : "") }, el("span", { class: "k" }, label), el("span", { class: "v" }, value));
}

const ISO_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
function cell(v) {
  if (v === null) return el("td", { class: "muted" }, "null");
  if (typeof v === "number") return el("td", { class: "num" }, fmtNum(v, 6));
  const s = String(v);
  return el("td", { class: "nowrap" }, ISO_TS.test(s) ? fmtTime(s) : s);
}

function updateCard(c, q) {
  c.status.textContent = q.status || "unknown";
  c.status.className = "badge " + (q.status || "");
  if (q.error) { c.errorBox.hidden = false; c.errorBox.textContent = String(q.error); }
  else c.errorBox.hidden = true;

  const prog = q.progress || [];
  const p = prog[prog.length - 1] || {};
  const dropped = (p.stateOperators || []).reduce((a, o) => a + (o.numRowsDroppedByWatermark || 0), 0);
  const stateRows = (p.stateOperators || []).reduce((a, o) => a + (o.numRowsTotal || 0), 0);
  c.facts.replaceChildren(
    fact("batch", fmtNum(p.batchId)),
    fact("input rows", fmtNum(p.numInputRows)),
    fact("input rows/s", fmtNum(p.inputRowsPerSecond)),
    fact("processed rows/s", fmtNum(p.processedRowsPerSecond)),
    fact("batch duration", p.durationMs ? fmtNum(p.durationMs.triggerExecution) + " ms" : "–"),
    fact("watermark", fmtTime(p.eventTime?.watermark), "wide"),
    fact("state rows", fmtNum(stateRows)),
    fact("late rows dropped", fmtNum(dropped), dropped > 0 ? "warn" : ""),
    fact("sink", p.sink ? `${p.sink.description} · ${fmtNum(p.sink.numOutputRows)} rows` : "–", "wide"));

  const xs = prog.map((r) => tsSec(r.timestamp));
  CHARTS.forEach((spec, i) => {
    const cols = spec.series.map(() => []);
    for (const r of prog) spec.pick(r).forEach((v, k) => cols[k].push(v ?? null));
    c.plots[i].setData([xs, ...cols]);
  });

  c.sources.replaceChildren(...(p.sources || []).map((s) => el("tr", {},
    el("td", {}, s.description || "source"),
    el("td", { class: "mono" }, fmtRange(s.startOffset, s.endOffset)),
    el("td", { class: "num" }, fmtNum(s.numInputRows)),
    el("td", { class: "num" }, fmtNum(s.inputRowsPerSecond)),
    el("td", { class: "num" }, fmtNum(s.processedRowsPerSecond)))));

  const latest = q.latest;
  if (latest && Array.isArray(latest.columns)) {
    c.latestTitle.textContent = `Latest sink rows · batch ${fmtNum(latest.batchId)}`;
    c.latestHead.replaceChildren(...latest.columns.map((h) => el("th", {}, h)));
    c.latestBody.replaceChildren(...(latest.rows || []).slice(0, 20).map((row) =>
      el("tr", {}, ...row.map(cell))));
  }
}

// ---- the map ------------------------------------------------------------

function buildMap() {
  const svg = svgEl("svg", { viewBox: INDIA.viewBox, class: "india", role: "img", "aria-label": INDIA.label });
  const labels = svgEl("g", { class: "labels" });
  for (const loc of INDIA.locations) {
    const path = svgEl("path", { d: loc.path, id: "region-" + loc.id, class: "region", fill: EMPTY_FILL });
    const title = svgEl("title");
    title.textContent = loc.name;
    path.append(title);
    svg.append(path);
    map.regions.set(loc.id, { path, title, name: loc.name, label: null });
  }
  svg.append(labels);
  document.getElementById("map").append(svg);
  map.svg = svg;
  map.labels = labels;
}

// Adds the per-batch counts of every State-count query, once per batch.
function accumulate(queries) {
  let changed = false;
  for (const q of queries) {
    const l = q.latest;
    if (!l || !Array.isArray(l.columns)) continue;
    const si = l.columns.indexOf("State"), ci = l.columns.indexOf("target_customers");
    if (si < 0 || ci < 0) continue;
    const key = queryKey(q);
    if (map.seenBatch.get(key) === l.batchId) continue;
    map.seenBatch.set(key, l.batchId);
    map.last.clear();
    for (const row of l.rows || []) {
      const state = row[si], n = Number(row[ci]);
      if (state == null || !Number.isFinite(n)) continue;
      map.totals.set(state, (map.totals.get(state) || 0) + n);
      map.last.set(state, (map.last.get(state) || 0) + n);
    }
    map.lastBatchId = l.batchId;
    changed = true;
  }
  return changed;
}

function colour(v, max) {
  if (!v) return EMPTY_FILL;
  const t = Math.sqrt(v / max);
  return PALETTE[Math.min(PALETTE.length - 1, Math.floor(t * (PALETTE.length - 1) + 0.5))];
}

function drawMap() {
  const perRegion = new Map();
  for (const [state, n] of map.totals) {
    const r = regionOf(state);
    if (r) perRegion.set(r, (perRegion.get(r) || 0) + n);
  }
  const max = Math.max(1, ...perRegion.values());
  map.labels.replaceChildren();
  for (const [id, reg] of map.regions) {
    const v = perRegion.get(id) || 0;
    reg.path.setAttribute("fill", colour(v, max));
    reg.path.dataset.value = String(v);
    const lastN = [...map.last].filter(([st]) => regionOf(st) === id).reduce((a, [, n]) => a + n, 0);
    reg.title.textContent = `${reg.name}: ${fmtNum(v)} target customers` + (lastN ? ` (+${fmtNum(lastN)} in batch ${map.lastBatchId})` : "");
    if (v > 0 && !["dl", "ch", "dd", "dn", "py", "ld", "an", "sk"].includes(id)) {
      const b = reg.path.getBBox();
      const t = svgEl("text", { x: b.x + b.width / 2, y: b.y + b.height / 2, class: "count" });
      t.textContent = fmtNum(v);
      map.labels.append(t);
    }
  }
  const legend = document.getElementById("legend");
  legend.replaceChildren(el("span", {}, "0"),
    ...PALETTE.map((c) => el("i", { style: `background:${c}` })), el("span", {}, fmtNum(max)));

  const rows = [...map.totals.entries()].sort((a, b) => b[1] - a[1]);
  document.getElementById("state-rows").replaceChildren(...rows.map(([state, n]) => {
    const r = regionOf(state);
    return el("tr", {},
      el("td", {}, state),
      el("td", { class: r ? "muted" : "warn" }, r ? map.regions.get(r)?.name || r : "not on map"),
      el("td", { class: "num" }, fmtNum(n)),
      el("td", { class: "num" }, map.last.has(state) ? "+" + fmtNum(map.last.get(state)) : ""));
  }));
  const total = rows.reduce((a, r) => a + r[1], 0);
  document.getElementById("map-sub").textContent = rows.length
    ? `${fmtNum(total)} target customers in ${rows.length} States · last batch ${fmtNum(map.lastBatchId)}`
    : "waiting for a query with columns State and target_customers…";
}

// ---- polling --------------------------------------------------------------

function render(data) {
  const queries = Array.isArray(data.queries) ? data.queries : [];
  const keys = new Set();
  for (const q of queries) {
    const key = queryKey(q);
    keys.add(key);
    if (!cards.has(key)) cards.set(key, makeCard(q));
    updateCard(cards.get(key), q);
  }
  for (const [key, c] of cards) if (!keys.has(key)) { c.root.remove(); cards.delete(key); }
  document.getElementById("empty").hidden = queries.length > 0;
  if (accumulate(queries)) drawMap();
}

function setConn(ok, text) {
  const c = document.getElementById("conn");
  c.className = ok ? "conn ok" : "conn bad";
  c.textContent = text;
}

async function poll() {
  try {
    const r = await fetch("/api/queries", {
      cache: "no-store",
      headers: TOKEN ? { Authorization: "Bearer " + TOKEN } : {},
    });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    render(await r.json());
    stats.polls++;
    setConn(true, "live · updated " + new Date().toLocaleTimeString("en-GB"));
  } catch (e) {
    stats.errors++;
    setConn(false, "disconnected · " + e.message);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

buildMap();
drawMap();
poll();
