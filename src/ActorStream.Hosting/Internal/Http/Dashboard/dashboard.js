// ActorStream node dashboard: plain JavaScript, no build step. Polls the node's JSON API and keeps
// a short history in memory for the throughput and lag sparklines.
"use strict";

const HISTORY = 120;          // points kept per series (2 minutes at 1 s)
const history = new Map();    // key -> [{t, v}]
let lastProcessed = new Map(); // pipeline -> {t, committed}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

function push(key, value) {
  const series = history.get(key) ?? [];
  series.push({ t: Date.now(), v: value });
  while (series.length > HISTORY) series.shift();
  history.set(key, series);
  return series;
}

function spark(series, cls) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark " + (cls ?? ""));
  svg.setAttribute("viewBox", "0 0 140 28");
  svg.setAttribute("preserveAspectRatio", "none");
  if (series.length > 1) {
    const max = Math.max(1, ...series.map(p => p.v));
    const step = 140 / (HISTORY - 1);
    const offset = (HISTORY - series.length) * step;
    const points = series.map((p, i) => `${(offset + i * step).toFixed(1)},${(27 - (p.v / max) * 26).toFixed(1)}`).join(" ");
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points);
    svg.append(line);
  }
  return svg;
}

const fmt = n => Number(n).toLocaleString("en-US", { maximumFractionDigits: 1 });

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function renderPipelines(pipelines, lag) {
  const root = document.getElementById("pipelines");
  const byName = new Map(lag.map(l => [l.pipeline, l]));
  const blocks = pipelines.map(p => {
    const l = byName.get(p.name);
    const committed = l ? l.partitions.reduce((sum, x) => sum + x.committed, 0) : 0;
    const now = Date.now();
    const prev = lastProcessed.get(p.name);
    let rate = 0;
    if (prev && now > prev.t) rate = Math.max(0, (committed - prev.committed) / ((now - prev.t) / 1000));
    lastProcessed.set(p.name, { t: now, committed });
    const rateSeries = push(`rate/${p.name}`, rate);
    const lagSeries = push(`lag/${p.name}`, l ? l.total_lag : 0);

    const rows = (l?.partitions ?? []).map(x => {
      const partSeries = push(`lag/${p.name}/${x.topic}/${x.partition}`, x.lag);
      return el("tr", { "data-partition": `${x.topic}[${x.partition}]` },
        el("td", { text: `${x.topic}[${x.partition}]` }),
        el("td", { class: "num", text: fmt(x.committed) }),
        el("td", { class: "num", text: fmt(x.high_watermark) }),
        el("td", { class: "num lag", text: fmt(x.lag) }),
        el("td", { class: `status-${x.status}`, text: x.status }),
        el("td", {}, spark(partSeries, "lag")));
    });

    return el("div", { class: "pipeline", "data-pipeline": p.name },
      el("h3", {}, `${p.name} — ${p.topics.join(", ")} → ${p.entity} (group ${p.group}) — ${p.state}`,
        // Paused by an operator on this node: standing partitions are expected, not a stall.
        ...(p.paused ? [" ", el("span", { class: "paused-badge", title: "paused by an operator on this node (POST /api/admin/pipelines/NAME/resume)", text: "paused" })] : [])),
      el("div", { class: "figures" },
        el("div", { class: "figure" }, el("span", { class: "muted", text: "processed + committed" }), el("b", { class: "processed", text: fmt(committed) })),
        el("div", { class: "figure" }, el("span", { class: "muted", text: "records/s" }), el("b", { class: "throughput", text: fmt(rate) }), spark(rateSeries)),
        el("div", { class: "figure" }, el("span", { class: "muted", text: "lag" }), el("b", { class: "lag-total", text: fmt(l ? l.total_lag : 0) }), spark(lagSeries, "lag")),
        el("div", { class: "figure" }, el("span", { class: "muted", text: "dead letters" }), el("b", { class: "dlq-count", text: fmt(l ? l.dead_letters : 0) })),
        el("div", { class: "figure" }, el("span", { class: "muted", text: "partitions here" }), el("b", { text: String(p.assigned_partitions.length) }))),
      el("table", {},
        el("thead", {}, el("tr", {}, ...["partition", "committed", "high watermark", "lag", "status", "lag over time"].map(h => el("th", { text: h })))),
        el("tbody", {}, ...rows)));
  });
  root.replaceChildren(...(blocks.length ? blocks : [el("p", { class: "muted", text: "no pipelines" })]));
}

function renderAlerts(alerts) {
  const root = document.getElementById("alerts");
  const items = [
    ...alerts.firing.map(a => el("div", { class: "alert", "data-alert": a.id }, el("b", { text: a.rule + " " }), document.createTextNode(a.message), el("div", { class: "muted", text: `since ${a.fired_at}` }))),
    ...alerts.resolved.slice(0, 10).map(a => el("div", { class: "alert resolved" }, el("b", { text: "resolved " }), document.createTextNode(a.message), el("div", { class: "muted", text: `${a.fired_at} → ${a.resolved_at}` }))),
  ];
  root.replaceChildren(...(items.length ? items : [el("p", { class: "muted", id: "no-alerts", text: "no alerts" })]));
}

function renderDlq(dlq) {
  const root = document.getElementById("dlq");
  const rows = dlq.flatMap(p => p.records.map(r => el("tr", {},
    el("td", { text: p.pipeline }),
    el("td", { text: `${r.partition}:${r.offset}` }),
    el("td", { text: `${r.original_topic}[${r.original_partition}]@${r.original_offset}` }),
    el("td", { text: r.stage }),
    el("td", { text: r.key ?? "" }),
    el("td", { text: `${r.exception_type}: ${r.exception_message}`.slice(0, 160) }))));
  const counts = dlq.map(p => `${p.pipeline}: ${fmt(p.count)} in ${p.topic}`).join(" · ");
  root.replaceChildren(el("p", { class: "muted", text: counts || "no pipelines" }),
    el("table", {}, el("thead", {}, el("tr", {}, ...["pipeline", "at", "from", "stage", "key", "error"].map(h => el("th", { text: h })))), el("tbody", {}, ...rows)));
}

function renderCluster(cluster) {
  document.getElementById("node").textContent = `node ${cluster.self} (${cluster.self_status})`;
  const members = cluster.members.map(m => el("tr", {},
    el("td", { text: m.address }), el("td", { text: m.status }), el("td", { text: m.roles.join(", ") }),
    el("td", { class: "num", text: String(m.shards) }), el("td", { class: "num", text: fmt(m.entities) })));
  const partitions = cluster.partitions.map(p => el("li", { text: `${p.pipeline}: ${p.assigned.join(", ") || "none"}` }));
  document.getElementById("cluster").replaceChildren(
    el("table", {}, el("thead", {}, el("tr", {}, ...["member", "status", "roles", "shards", "entities"].map(h => el("th", { text: h })))), el("tbody", {}, ...members)),
    el("p", { class: "muted", text: "partitions consumed on this node:" }), el("ul", {}, ...partitions));
}

async function refresh() {
  try {
    const [pipelines, lag, alerts] = await Promise.all([getJson("/api/pipelines"), getJson("/api/lag"), getJson("/api/alerts")]);
    renderPipelines(pipelines, lag);
    renderAlerts(alerts);
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById("updated").textContent = "update failed: " + e.message;
  }
}

async function refreshSlow() {
  try {
    const [dlq, cluster] = await Promise.all([getJson("/api/dlq?limit=10"), getJson("/api/cluster")]);
    renderDlq(dlq);
    renderCluster(cluster);
  } catch (e) {
    document.getElementById("node").textContent = "cluster/DLQ update failed: " + e.message;
  }
}

refresh();
refreshSlow();
setInterval(refresh, 1000);
setInterval(refreshSlow, 5000);
