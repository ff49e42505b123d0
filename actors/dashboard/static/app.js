// The arbiter health page: one WebSocket, rows updated in place, no reloads, no build step.
"use strict";

const TOKEN_KEY = "arbiter-dashboard-token";
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_FORBIDDEN = 4403;

const collapsed = new Set();   // paths whose children are hidden
const openErrors = new Set();  // paths whose traceback is expanded
const rows = new Map();        // path -> {row, errorRow, cells...}
const series = new Map();      // path -> {rate: [], depth: []}; "" is the whole system
let historyLength = 150;
let reconnectDelay = 250;

const $ = (id) => document.getElementById(id);

// -- formatting ---------------------------------------------------------------

function fmtCount(n) {
  return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US");
}

function fmtRate(r) {
  if (!r) return "0";
  return r >= 100 ? Math.round(r).toLocaleString("en-US") : r.toFixed(1);
}

function fmtMicros(us) {
  if (us === null || us === undefined) return "–";
  if (us >= 1e6) return (us / 1e6).toFixed(2) + " s";
  if (us >= 1e3) return (us / 1e3).toFixed(1) + " ms";
  return Math.round(us) + " µs";
}

function fmtBytes(b) {
  if (b === null || b === undefined) return "–";
  return (b / 1048576).toFixed(1) + " MiB";
}

// Wei as ether, to 6 significant digits; amounts arrive as decimal strings (exact, beyond 2**53).
function fmtWei(wei) {
  if (wei === null || wei === undefined) return "–";
  const value = BigInt(wei);
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  if (abs < 1000000n) return `${sign}${abs} wei`;
  const ether = Number(abs) / 1e18;
  return `${sign}${ether.toPrecision(6)} ETH`;
}

// Raw token units (decimals unknown here): exact when short, else as a power of ten.
function fmtUnits(units) {
  const text = String(units);
  const digits = text.replace("-", "");
  if (digits.length <= 9) return Number(text).toLocaleString("en-US");
  return `${text.slice(0, text.length - digits.length + 1)}.${digits.slice(1, 4)}e${digits.length - 1}`;
}

function fmtBps(bps) {
  return bps === null || bps === undefined ? "–" : (bps / 100).toFixed(2) + " %";
}

function short(hex) {
  if (!hex) return "–";
  return hex.length > 14 ? hex.slice(0, 8) + "…" + hex.slice(-4) : hex;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// -- sparklines ----------------------------------------------------------------

function points(values, top) {
  if (values.length < 2) return "";
  const max = Math.max(top || 0, ...values, 1e-9);
  // Right-aligned on the time axis; a short history is not squeezed into a sliver.
  const span = Math.min(historyLength, Math.max(values.length, 30));
  const step = 100 / (span - 1);
  const offset = 100 - step * (values.length - 1);
  return values
    .map((v, i) => `${(offset + i * step).toFixed(2)},${(23 - (v / max) * 22).toFixed(2)}`)
    .join(" ");
}

function drawSpark(svg, path) {
  const data = series.get(path);
  if (!data) return;
  const [rate, depth] = svg.querySelectorAll("polyline");
  if (rate && rate.classList.contains("rate")) rate.setAttribute("points", points(data.rate));
  const depthLine = depth || (rate && rate.classList.contains("depth") ? rate : null);
  if (depthLine) depthLine.setAttribute("points", points(data.depth));
}

function sparkSvg() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "spark");
  svg.setAttribute("viewBox", "0 0 100 24");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  for (const kind of ["rate", "depth"]) {
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("class", kind);
    svg.appendChild(line);
  }
  return svg;
}

function addSample(sample) {
  for (const [path, value] of Object.entries(sample)) {
    let data = series.get(path);
    if (!data) series.set(path, (data = { rate: [], depth: [] }));
    data.rate.push(value.rate);
    data.depth.push(value.depth);
    if (data.rate.length > historyLength) data.rate.shift();
    if (data.depth.length > historyLength) data.depth.shift();
  }
}

// -- the actor tree ---------------------------------------------------------------

function nameOf(path) {
  return path === "/" ? "/" : path.slice(path.lastIndexOf("/") + 1);
}

function depthOf(path) {
  return path === "/" ? 0 : path.split("/").length - 1;
}

function makeRow(actor) {
  const path = actor.path;
  const row = el("tr");
  row.dataset.path = path;
  const nameCell = el("td");
  const name = el("span", "name");
  name.style.paddingLeft = depthOf(path) * 1.1 + "rem";
  const toggle = el("button", "toggle", "▾");
  toggle.type = "button";
  toggle.title = "collapse or expand";
  toggle.addEventListener("click", () => {
    if (collapsed.has(path)) collapsed.delete(path);
    else collapsed.add(path);
    applyCollapse();
  });
  const label = el("span", "mono", nameOf(path));
  label.title = path;
  name.append(toggle, label);
  nameCell.appendChild(name);

  const state = el("span", "state");
  const mailbox = el("td", "mailbox");
  const mailboxText = el("span");
  const bar = el("span", "bar");
  const barFill = el("span");
  bar.appendChild(barFill);
  mailbox.append(mailboxText, bar);

  const actions = el("span", "actions");
  const pause = el("button", "pause", "pause");
  pause.type = "button";
  pause.addEventListener("click", () => control(path, pause.dataset.next || "Pause"));
  const restart = el("button", "restart", "restart");
  restart.type = "button";
  restart.addEventListener("click", () => control(path, "Restart"));
  actions.append(pause, restart);

  const cells = {
    state: el("td"),
    cls: el("td", "wide mono"),
    mailbox,
    rate: el("td", "rate"),
    latency: el("td", "wide"),
    failures: el("td", "failures"),
    restarts: el("td", "restarts"),
    spark: el("td", "wide"),
    control: el("td"),
  };
  cells.state.appendChild(state);
  cells.spark.appendChild(sparkSvg());
  cells.control.appendChild(actions);
  row.append(nameCell, ...Object.values(cells));

  const errorRow = el("tr", "error-row");
  errorRow.dataset.errorFor = path;
  const errorCell = el("td");
  errorCell.colSpan = 10;
  const details = el("details");
  const summary = el("summary");
  const trace = el("pre");
  details.append(summary, trace);
  details.addEventListener("toggle", () => {
    if (details.open) openErrors.add(path);
    else openErrors.delete(path);
  });
  errorCell.appendChild(details);
  errorRow.appendChild(errorCell);
  errorRow.hidden = true;

  return { row, errorRow, toggle, state, mailboxText, bar, barFill, pause, details, summary, trace, cells };
}

function updateRow(entry, actor, hasChildren) {
  const c = entry.cells;
  const shownState = actor.state === "running" && actor.paused ? "paused" : actor.state;
  setText(entry.state, shownState);
  entry.state.className = "state state-" + shownState;
  setText(c.cls, actor.actor);
  setText(entry.mailboxText, `${fmtCount(actor.mailbox_depth)} / ${fmtCount(actor.mailbox_capacity)}`);
  const fill = actor.mailbox_capacity ? actor.mailbox_depth / actor.mailbox_capacity : 0;
  entry.barFill.style.width = Math.min(100, fill * 100).toFixed(1) + "%";
  entry.bar.classList.toggle("full", fill >= 0.9);
  entry.bar.title = `high water ${actor.mailbox_high_water}, ${actor.mailbox_policy}`;
  setText(c.rate, fmtRate(actor.messages_per_s));
  setText(c.latency, `${fmtMicros(actor.handle_time_p50_us)} / ${fmtMicros(actor.handle_time_p99_us)}`);
  setText(c.failures, fmtCount(actor.failed_total));
  setText(c.restarts, fmtCount(actor.restarts_total));
  entry.toggle.hidden = !hasChildren;
  setText(entry.toggle, collapsed.has(actor.path) ? "▸" : "▾");
  const paused = actor.paused;
  setText(entry.pause, paused ? "resume" : "pause");
  entry.pause.dataset.next = paused ? "Resume" : "Pause";
  const controllable = actor.path !== "/";
  entry.pause.hidden = !controllable;
  entry.cells.control.querySelector(".restart").hidden = !controllable;
  drawSpark(c.spark.firstChild, actor.path);

  entry.hasError = Boolean(actor.last_error);
  if (entry.hasError) {
    setText(entry.summary, "last error: " + actor.last_error);
    setText(entry.trace, actor.last_traceback || actor.last_error);
    entry.details.open = openErrors.has(actor.path);
  }
}

function renderActors(actors) {
  const tbody = $("actors").tBodies[0];
  const seen = new Set();
  const parents = new Set(actors.map((a) => a.supervisor).filter(Boolean));
  for (const actor of actors) {
    seen.add(actor.path);
    let entry = rows.get(actor.path);
    if (!entry) rows.set(actor.path, (entry = makeRow(actor)));
    updateRow(entry, actor, parents.has(actor.path));
    // appendChild moves an existing row: the order follows the tree, elements stay the same.
    tbody.appendChild(entry.row);
    tbody.appendChild(entry.errorRow);
  }
  for (const [path, entry] of rows) {
    if (!seen.has(path)) {
      entry.row.remove();
      entry.errorRow.remove();
      rows.delete(path);
    }
  }
  applyCollapse();
  setText($("actor-count"), fmtCount(actors.length));
}

function applyCollapse() {
  for (const [path, entry] of rows) {
    let hidden = false;
    for (const closed of collapsed) {
      if (path !== closed && path.startsWith(closed === "/" ? "/" : closed + "/")) hidden = true;
    }
    entry.row.hidden = hidden;
    entry.errorRow.hidden = hidden || !entry.hasError;
    setText(entry.toggle, collapsed.has(path) ? "▸" : "▾");
  }
}

// -- the other tables -------------------------------------------------------------

function fillTable(id, items, columns) {
  const tbody = $(id).tBodies[0];
  const fresh = document.createDocumentFragment();
  if (!items || items.length === 0) {
    const row = el("tr");
    const cell = el("td", "empty", "none yet");
    cell.colSpan = $(id).tHead.rows[0].cells.length;
    row.appendChild(cell);
    fresh.appendChild(row);
  } else {
    for (const item of items) {
      const row = el("tr");
      for (const [render, className] of columns) {
        row.appendChild(el("td", className || "", String(render(item) ?? "–")));
      }
      fresh.appendChild(row);
    }
  }
  tbody.replaceChildren(fresh);
}

function poolState(p) {
  if (p.kind === "uniswap_v2") return `reserves ${p.reserve0 ?? "–"} / ${p.reserve1 ?? "–"}`;
  return `√P ${short(p.sqrt_price_x96)} · L ${p.liquidity ?? "–"} · tick ${p.tick ?? "–"}`;
}

function renderTables(data) {
  fillTable("chains", data.chains, [
    [(c) => c.chain],
    [(c) => c.chain_id],
    [(c) => fmtCount(c.head_block)],
    [(c) => fmtCount(c.processed_block)],
    [(c) => c.lag_blocks],
    [(c) => c.reorgs_total],
    [(c) => c.reconnects_total],
    [(c) => (c.error ? c.error : c.connected ? "yes" : "no")],
    [(c) => c.resumed_from, "wide"],
  ]);
  fillTable("pools", data.pools, [
    [(p) => p.dex],
    [(p) => short(p.address), "mono"],
    [(p) => `${short(p.token0)} / ${short(p.token1)}`, "mono"],
    [(p) => p.block],
    [poolState, "mono"],
  ]);
  fillTable("opportunities", data.opportunities, [
    [(o) => o.id],
    [(o) => o.block],
    [(o) => fmtWei(o.expected_profit_wei)],
    [(o) => fmtWei(o.gas_cost_wei), "wide"],
    [(o) => fmtMicros(o.latency_us), "wide"],
    [(o) => o.status],
  ]);
  fillTable("txs", data.txs, [
    [(t) => short(t.hash), "mono"],
    [(t) => short(t.account), "wide mono"],
    [(t) => t.nonce],
    [(t) => t.status],
    [(t) => t.block],
    [(t) => t.opportunity_id, "wide"],
  ]);
}

const OUTCOMES = ["observed", "simulated", "sent", "executed", "reverted", "skipped", "stale"];

function statsColumns(name) {
  return [
    [name],
    [(r) => r.pools, "wide"],
    [(r) => fmtBps(r.spread_bps)],
    [(r) => fmtCount(r.opportunities_per_hour)],
    [(r) => fmtWei(r.best_profit_wei)],
    [(r) => fmtWei(r.median_profit_wei), "wide"],
  ];
}

function renderAnalytics(analytics, executor) {
  const problems = [];
  const a = analytics && !analytics.error ? analytics : null;
  const x = executor && !executor.error ? executor : null;
  if (analytics && analytics.error) problems.push(`analytics: ${analytics.error}`);
  if (executor && executor.error) problems.push(`executor: ${executor.error}`);
  const error = $("analytics-error");
  setText(error, problems.join(" · "));
  error.hidden = problems.length === 0;

  setText($("analytics-window"), a ? `(last ${Math.round(a.window_s / 60)} min)` : "");
  setText($("analytics-opportunities"), a ? fmtCount(a.opportunities_total) : "–");
  setText($("analytics-cycles"), a ? `${fmtCount(a.cycles)} over ${fmtCount(a.pools)} pools` : "–");
  setText($("analytics-evaluation"), a ? fmtMicros(a.last_evaluation_us) : "–");
  fillTable("analytics-pairs", a ? a.pairs : [], statsColumns((r) => `${short(r.token0)} / ${short(r.token1)}`));
  fillTable("analytics-dexes", a ? a.dexes : [], statsColumns((r) => r.dex));

  setText($("executor-mode"), x ? x.mode : "–");
  setText($("executor-executed"), x ? fmtCount(x.outcomes.executed || 0) : "–");
  setText($("executor-in-flight"), x ? fmtCount(x.in_flight) : "–");
  const counts = x ? OUTCOMES.map((o) => `${o} ${fmtCount(x.outcomes[o] || 0)}`) : [];
  setText($("executor-outcomes"), counts.join(" · "));
  // Raw units of each start token: the page knows no token's decimals or symbol.
  const profits = x ? Object.entries(x.realised_profit) : [];
  const realised = profits.map(([token, units]) => `${fmtUnits(units)} of ${short(token)}`);
  setText($("executor-profit"), x ? `realised profit: ${realised.join(" · ") || "none yet"}` : "");
}

function renderOverview(data) {
  setText($("system"), data.system);
  const ready = $("ready");
  setText(ready, data.ready ? "ready" : "not ready");
  ready.className = "pill " + (data.ready ? "pill-ok" : "pill-bad");
  const reasons = $("reasons");
  reasons.replaceChildren(...data.reasons.map((r) => el("li", "", r)));
  reasons.hidden = data.reasons.length === 0;
  const total = data.actors.reduce(
    (acc, a) => ({ rate: acc.rate + (a.messages_per_s || 0), depth: acc.depth + a.mailbox_depth }),
    { rate: 0, depth: 0 },
  );
  setText($("total-rate"), fmtRate(total.rate));
  setText($("total-depth"), fmtCount(total.depth));
  drawSpark($("total-rate-spark"), "");
  drawSpark($("total-depth-spark"), "");
  const lag = data.loop;
  setText($("loop-lag"), lag && lag.lag_p99_ms !== null ? lag.lag_p99_ms.toFixed(2) + " ms" : "–");
  setText($("rss"), fmtBytes(data.process.resident_memory_bytes));
  setText($("fds"), fmtCount(data.process.open_fds));
  setText($("connections"), fmtCount(data.process.connections));
  setText($("dead-letters"), fmtCount(data.dead_letters_total));
}

// -- control ------------------------------------------------------------------------

function notice(text, isError) {
  const node = $("notice");
  setText(node, text);
  node.classList.toggle("error", Boolean(isError));
  node.hidden = false;
}

function askToken() {
  const stored = sessionStorage.getItem(TOKEN_KEY);
  if (stored) return Promise.resolve(stored);
  const dialog = $("token-dialog");
  const input = $("token-input");
  input.value = "";
  return new Promise((resolve) => {
    const finish = (value) => {
      $("token-ok").onclick = $("token-cancel").onclick = input.onkeydown = null;
      dialog.close();
      if (value) {
        sessionStorage.setItem(TOKEN_KEY, value);
        $("forget-token").hidden = false;
      }
      resolve(value || null);
    };
    $("token-ok").onclick = () => finish(input.value.trim());
    $("token-cancel").onclick = () => finish(null);
    input.onkeydown = (event) => {
      if (event.key === "Enter") finish(input.value.trim());
    };
    dialog.showModal();
    input.focus();
  });
}

async function control(path, type) {
  const token = await askToken();
  if (!token) return;
  let answer;
  try {
    answer = await fetch(`/api/actors${path}/messages`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({ type }),
    });
  } catch (error) {
    notice(`${type} ${path}: the dashboard is unreachable`, true);
    return;
  }
  if (answer.status === 401 || answer.status === 403) {
    sessionStorage.removeItem(TOKEN_KEY);
    $("forget-token").hidden = true;
    notice(`${type} ${path}: the token was refused; press again to enter it`, true);
    return;
  }
  if (!answer.ok) {
    const body = await answer.json().catch(() => ({}));
    notice(`${type} ${path}: ${body.error ? body.error.message : answer.status}`, true);
    return;
  }
  notice(`${type} sent to ${path}`);
}

// -- the live connection ---------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  const connection = $("connection");
  socket.onopen = () => {
    reconnectDelay = 250;
    setText(connection, "live");
    connection.className = "pill pill-ok";
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) socket.send(JSON.stringify({ token }));
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "hello") {
      historyLength = data.history.length || historyLength;
      series.clear();
      for (const [path, values] of Object.entries(data.history.series)) {
        series.set(path, { rate: values.rate.slice(), depth: values.depth.slice() });
      }
      return;
    }
    if (data.type !== "snapshot") return;
    if (data.sample) addSample(data.sample);
    renderOverview(data);
    renderActors(data.actors);
    renderTables(data);
    renderAnalytics(data.analytics, data.executor);
  };
  socket.onclose = async (event) => {
    setText(connection, "reconnecting");
    connection.className = "pill pill-wait";
    if (event.code === CLOSE_UNAUTHORIZED || event.code === CLOSE_FORBIDDEN) {
      sessionStorage.removeItem(TOKEN_KEY);
      await askToken();
    }
    setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 5000);
  };
}

$("forget-token").hidden = !sessionStorage.getItem(TOKEN_KEY);
$("forget-token").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  $("forget-token").hidden = true;
  notice("token forgotten");
});
connect();
