// Visor admin page: polls the JSON API and keeps the tables up to date.
//
// The browser got here through the one-time login address, which left an HttpOnly cookie
// with the admin token: every API call sends it (same-origin), and the page never sees the
// token. Rows are keyed by module name and updated in place, so a button stays the same
// element between refreshes.
"use strict";

const POLL_MS = 1000;
const FRAME_MS = 500;

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const response = await fetch("/api/" + path, {
    ...options,
    credentials: "same-origin",
    cache: "no-store",
  });
  if (!response.ok) {
    let message = response.statusText;
    try {
      message = (await response.json()).error || message;
    } catch (_) { /* not JSON: keep the status text */ }
    throw new ApiError(response.status, message);
  }
  return response;
}

function setStatus(text, isError) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

function reportError(error) {
  if (error.status === 401) {
    setStatus("not logged in: open the one-time address that `visor run --admin` printed", true);
  } else {
    setStatus(String(error.message || error), true);
  }
}

function cell(row, index, text, className) {
  const td = row.cells[index];
  if (td.textContent !== text) td.textContent = text;
  if (className !== undefined && td.className !== className) td.className = className;
}

const mib = (bytes) => (bytes / 1048576).toFixed(1);
// Limits are whole MiB as a rule: "64", not "64.0".
const mibWhole = (bytes) => (bytes % 1048576 === 0 ? String(bytes / 1048576) : mib(bytes));
const dash = "—";

// In use against the limit, "3.1 / 64 MiB"; a stopped app has none in use.
function memoryText(m) {
  if (m.memory_bytes == null && m.memory_limit_bytes == null && m.bus_bytes == null) return dash;
  const used = m.memory_bytes == null ? dash : mib(m.memory_bytes);
  const linear = m.memory_limit_bytes == null ? used + " MiB" : used + " / " + mibWhole(m.memory_limit_bytes) + " MiB";
  // What its bus queues and held frames keep in the shell, charged to it.
  if (m.bus_bytes == null) return linear;
  const bus = "bus " + mib(m.bus_bytes) + (m.bus_limit_bytes == null ? "" : " / " + mibWhole(m.bus_limit_bytes)) + " MiB";
  return m.memory_bytes == null && m.memory_limit_bytes == null ? bus : linear + ", " + bus;
}

function cpuText(m) {
  if (m.cpu_time_ms == null) return dash;
  const total = m.cpu_time_ms >= 1000 ? (m.cpu_time_ms / 1000).toFixed(2) + " s" : m.cpu_time_ms.toFixed(0) + " ms";
  return m.last_frame_ms == null ? total : total + " (frame " + m.last_frame_ms.toFixed(2) + " ms)";
}

const ACTIONS = ["start", "stop", "restart", "remove", "upgrade"];

function newModuleRow(name) {
  const row = document.createElement("tr");
  row.dataset.module = name;
  for (let i = 0; i < 8; i++) row.insertCell();
  const actions = row.insertCell();
  for (const action of ACTIONS) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = action;
    button.dataset.action = action;
    button.addEventListener("click", () => act(name, action, row));
    actions.append(button);
  }
  return row;
}

function renderModules(modules) {
  const body = document.querySelector("#modules tbody");
  const rows = new Map([...body.rows].map((r) => [r.dataset.module, r]));
  for (const m of modules) {
    let row = rows.get(m.name);
    rows.delete(m.name);
    if (!row) row = newModuleRow(m.name);
    body.append(row); // keeps the backend's order
    cell(row, 0, m.name);
    cell(row, 1, m.version);
    cell(row, 2, m.kind);
    cell(row, 3, m.state_detail ? m.state + ": " + m.state_detail : m.state, "state state-" + m.state);
    cell(row, 4, memoryText(m), "num");
    cell(row, 5, cpuText(m), "num");
    cell(row, 6, String(m.restarts), "num");
    cell(row, 7, m.last_error || "", "error");
    row.dataset.state = m.state;
    if (!row.dataset.busy) {
      const live = m.state !== "stopped" && m.state !== "failed";
      for (const button of row.cells[8].querySelectorAll("button")) {
        const action = button.dataset.action;
        button.disabled = action === "start" ? live : action === "upgrade" ? !m.upgrade_to : action === "stop" && !live;
        if (action === "upgrade") button.title = m.upgrade_to ? "to " + m.upgrade_to + ", in place" : "no newer version installed";
      }
    }
  }
  for (const gone of rows.values()) gone.remove();
}

async function act(name, action, row) {
  if (action === "remove" && !confirm("Remove " + name + " from the running shell?")) return;
  row.dataset.busy = "1";
  for (const button of row.querySelectorAll("button")) button.disabled = true;
  try {
    await api("modules/" + encodeURIComponent(name) + "/" + action, { method: "POST" });
    setStatus(action + " " + name + ": " + (action === "upgrade" ? "sent (the module list shows the new version once it runs)" : "done"));
  } catch (error) {
    reportError(error);
  } finally {
    delete row.dataset.busy;
    await refreshModules().catch(reportError);
  }
}

function fillTable(selector, rows) {
  const body = document.querySelector(selector + " tbody");
  const fragment = document.createDocumentFragment();
  for (const cells of rows) {
    const tr = document.createElement("tr");
    for (const [text, className] of cells) {
      const td = tr.insertCell();
      td.textContent = text;
      if (className) td.className = className;
    }
    fragment.append(tr);
  }
  body.replaceChildren(fragment);
}

function renderBus(bus) {
  fillTable("#topics", bus.topics.map((t) => [
    [t.topic],
    [String(t.messages), "num"],
    [t.rate_per_s == null ? dash : t.rate_per_s.toFixed(1) + "/s", "num"],
    [t.last_sender || dash],
    [t.last_message || dash, "message"],
    [t.last_age_ms == null ? dash : (t.last_age_ms / 1000).toFixed(1) + " s", "num"],
  ]));
  fillTable("#peers", (bus.peers || []).map((p) => [
    [p.device], [p.present ? "connected" : "gone"],
    [p.latency_ms == null ? dash : p.latency_ms.toFixed(2) + " ms", "num"],
    [p.modules.length ? p.modules.join(", ") : dash],
  ]));
  document.getElementById("peers").hidden = !(bus.peers || []).length;
  fillTable("#subscriptions", bus.subscriptions.map((s) => [
    [s.subscriber], [s.pattern], [s.policy],
    [String(s.queued), "num"], [String(s.dropped), "num"], [String(s.rejected), "num"],
  ]));
}

function renderLogs(logs) {
  const list = document.getElementById("logs");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  const fragment = document.createDocumentFragment();
  for (const line of logs) {
    const li = document.createElement("li");
    li.className = "level-" + line.level;
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = new Date(line.time_ms).toLocaleTimeString() + " " + line.level.toUpperCase();
    const source = document.createElement("span");
    source.className = "source";
    source.textContent = line.source;
    li.append(when, source, line.message);
    fragment.append(li);
  }
  list.replaceChildren(fragment);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

async function refreshModules() {
  const { modules } = await (await api("modules")).json();
  renderModules(modules);
}

async function refresh() {
  await refreshModules();
  renderBus(await (await api("bus")).json());
  renderLogs((await (await api("logs?limit=200")).json()).logs);
  setStatus("live · " + new Date().toLocaleTimeString());
}

let frameUrl = null;

async function refreshFrame() {
  const blob = await (await api("frame.png")).blob();
  const img = document.getElementById("frame");
  const previous = frameUrl;
  frameUrl = URL.createObjectURL(blob);
  img.src = frameUrl;
  if (previous) URL.revokeObjectURL(previous);
}

// Each loop waits for its own answer before asking again, so a slow shell is never flooded.
function loop(task, period) {
  const run = async () => {
    try {
      await task();
    } catch (error) {
      reportError(error);
    }
    setTimeout(run, period);
  };
  run();
}

loop(refresh, POLL_MS);
loop(refreshFrame, FRAME_MS);
