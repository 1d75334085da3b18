/* Person ledger page: escalations, linking an incident to a file (with the ledger's suggestions),
   tonight's sweep list, the daily report and (supervisors) whole files. Same token as the console. */
"use strict";

const LEDGER_TOKEN_KEY = "patrol.console.token";
let token = "";
let role = "";
let sweepAsked = 0;

function authHeaders(json) {
  const h = { Authorization: "Bearer " + token };
  if (json) h["Content-Type"] = "application/json";
  return h;
}

async function call(path, options) {
  const res = await fetch(path, Object.assign({ headers: authHeaders(options && options.body) }, options || {}));
  if (res.status === 401) { showLedgerLogin("令牌无效 · invalid token"); throw new Error("unauthorized"); }
  const type = res.headers.get("Content-Type") || "";
  const body = type.includes("json") ? await res.json() : await res.text();
  if (!res.ok) throw new Error((body && body.message) || res.status);
  return body;
}

function showLedgerLogin(message) {
  document.getElementById("login").classList.remove("hidden");
  document.getElementById("login-error").textContent = message || "";
}

function cell(text) { const td = document.createElement("td"); td.textContent = text == null ? "" : shownText(text); return td; }

function fillTable(id, rows) {
  const body = document.querySelector(`#${id} tbody`);
  body.replaceChildren(...rows);
}

async function loadEscalations() {
  const panel = document.getElementById("escalations-panel");
  try {
    const data = await call("/api/ledger/escalations");
    fillTable("escalations", data.escalations.map((e) => {
      const tr = document.createElement("tr");
      const close = document.createElement("button");
      close.textContent = "已制定方案 · Close";
      close.addEventListener("click", async () => { await call(`/api/ledger/escalations/${encodeURIComponent(e.escalation_id)}/close`, { method: "POST" }); loadEscalations(); });
      const action = document.createElement("td"); action.append(close);
      tr.append(cell(e.at), cell(e.person_id), cell(e.reason), action);
      return tr;
    }));
  } catch (err) { panel.classList.add("hidden"); }  // only supervisors see escalations
}

function personLine(p, incidentId) {
  const div = document.createElement("div");
  div.className = "person";
  const head = document.createElement("b");
  head.textContent = shownText(`${p.person_id} · ${p.sex} · ${p.age_group} · ${p.appearance || ""}` + (p.score != null ? ` · ${p.score}` : ""));
  div.append(head);
  const ul = document.createElement("ul");
  for (const note of [...(p.what_helps || []), ...(p.reasons || [])]) { const li = document.createElement("li"); li.textContent = shownText(note); ul.append(li); }
  div.append(ul);
  if (incidentId) {
    const link = document.createElement("button");
    link.textContent = "关联到此档案 · Link";
    link.addEventListener("click", async () => {
      await call(`/api/ledger/incidents/${encodeURIComponent(incidentId)}/link`, { method: "POST", body: JSON.stringify({ person_id: p.person_id }) });
      showIncident(incidentId);
    });
    div.append(link);
  }
  return div;
}

async function showIncident(incidentId) {
  const box = document.getElementById("incident");
  box.replaceChildren();
  try {
    const data = await call(`/api/ledger/incidents/${encodeURIComponent(incidentId)}`);
    const h = document.createElement("p");
    h.textContent = data.linked.length ? "已关联 · linked" : data.likely ? `可能是 · likely: ${data.likely}` : "无把握的建议 · no confident suggestion";
    box.append(h);
    for (const p of data.linked) box.append(personLine(p, null));
    for (const p of data.suggestions) box.append(personLine(p, incidentId));
    document.getElementById("new-file").classList.remove("hidden");
    document.getElementById("new-file").dataset.incident = incidentId;
  } catch (err) { box.textContent = String(err.message || err); }
}

async function openFile(ev) {
  ev.preventDefault();
  const form = document.getElementById("new-file");
  const incidentId = form.dataset.incident;
  const body = { new: { sex: document.getElementById("new-sex").value, age_group: document.getElementById("new-age").value,
    appearance: document.getElementById("new-appearance").value, helps: document.getElementById("new-helps").value } };
  await call(`/api/ledger/incidents/${encodeURIComponent(incidentId)}/link`, { method: "POST", body: JSON.stringify(body) });
  showIncident(incidentId);
}

async function makeSweep(ev) {
  if (ev) ev.preventDefault();
  const params = new URLSearchParams();
  const date = document.getElementById("sweep-date").value;
  const level = document.getElementById("sweep-level").value;
  const centre = document.getElementById("sweep-centre").value;
  if (centre) params.set("centre", centre);
  if (date) params.set("date", date);
  if (level) params.set("level", level);
  const asked = ++sweepAsked;
  const data = await call(`/api/ledger/sweep?${params}`);
  if (asked !== sweepAsked) return;  // a later request's answer wins, whatever order they come back in
  fillTable("sweep", data.stops.map((s) => {
    const tr = document.createElement("tr");
    tr.append(cell(s.rank), cell(s.district), cell(`${s.lat.toFixed(5)}, ${s.lon.toFixed(5)}`), cell(s.hours), cell(s.nights_seen), cell(s.persons.join(", ")), cell(s.risk));
    tr.title = s.reasons.join("; ");
    if (role === "supervisor") tr.append(sendCell(data, s));
    return tr;
  }));
}

function sendCell(list, stop) {
  /* Supervisor: send this place to a team as a sweep task. */
  const td = document.createElement("td");
  const team = document.createElement("input");
  team.placeholder = "T-…";
  team.size = 10;
  const send = document.createElement("button");
  send.textContent = "派给 · Send";
  send.addEventListener("click", async () => {
    try {
      const out = await call("/api/ledger/sweep/tasks", { method: "POST", body: JSON.stringify({ date: list.date, level: list.level, centre: list.centre, rank: stop.rank, team_id: team.value.trim() }) });
      send.textContent = "已派 · Sent";
      send.title = out.task_id;
    } catch (err) { send.title = String(err.message || err); send.textContent = "失败 · Failed"; }
  });
  td.append(team, send);
  return td;
}

async function report(format) {
  const date = document.getElementById("report-date").value;
  const lang = document.getElementById("report-lang").value;
  if (!date) return;
  const centre = document.getElementById("report-centre").value;
  const params = new URLSearchParams({ date, lang, format });
  if (centre) params.set("centre", centre);
  const text = await call(`/api/ledger/report?${params}`);
  const blob = new Blob([format === "csv" ? "\ufeff" + text : text], { type: format === "csv" ? "text/csv" : "text/html" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  if (format === "csv") a.download = `${centre ? centre + "-" : ""}daily-${date}-${lang}.csv`; else a.target = "_blank";
  a.click();
}

async function readFile(ev) {
  ev.preventDefault();
  const out = document.getElementById("file");
  try {
    out.textContent = shownText(JSON.stringify(await call(`/api/ledger/persons/${encodeURIComponent(document.getElementById("person-id").value.trim())}`), null, 1));
  } catch (err) { out.textContent = String(err.message || err); }
}

async function startLedger() {
  try {
    const me = await call("/api/me");
    document.getElementById("who").textContent = `${me.name} (${me.role})`;
    role = me.role;
    if (me.role !== "supervisor") document.getElementById("file-panel").classList.add("hidden");
  } catch (err) { return; }
  loadEscalations();
  await chooseCentres().catch(() => {});
  makeSweep().catch(() => {});
}

async function chooseCentres() {
  /* Several cities (PATROL_CITIES): each has its own sweep list and report; the choices show only then. */
  const centres = (await call("/api/city")).centres || [];
  const options = () => centres.map((c) => { const option = document.createElement("option"); option.value = option.textContent = c; return option; });
  const choice = document.getElementById("sweep-centre");
  choice.replaceChildren(...options());
  choice.classList.toggle("hidden", centres.length < 2);
  choice.onchange = () => makeSweep().catch(() => {});
  const reportChoice = document.getElementById("report-centre");
  reportChoice.replaceChildren(reportChoice.options[0], ...options());  /* first: the whole deployment */
  reportChoice.classList.toggle("hidden", centres.length < 2);
}

window.addEventListener("DOMContentLoaded", () => {
  token = takeToken(LEDGER_TOKEN_KEY);
  document.getElementById("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    token = document.getElementById("token").value.trim();
    try { sessionStorage.setItem(LEDGER_TOKEN_KEY, token); } catch (e) { /* ignore */ }
    document.getElementById("login").classList.add("hidden");
    startLedger();
  });
  document.getElementById("logout").addEventListener("click", () => { try { sessionStorage.removeItem(LEDGER_TOKEN_KEY); } catch (e) { /* ignore */ } token = ""; showLedgerLogin(""); });
  document.getElementById("incident-form").addEventListener("submit", (ev) => { ev.preventDefault(); showIncident(document.getElementById("incident-id").value.trim()); });
  document.getElementById("new-file").addEventListener("submit", openFile);
  document.getElementById("sweep-form").addEventListener("submit", makeSweep);
  document.getElementById("report-form").addEventListener("submit", (ev) => { ev.preventDefault(); report("html"); });
  document.getElementById("report-csv").addEventListener("click", () => report("csv"));
  document.getElementById("file-form").addEventListener("submit", readFile);
  if (token) startLedger(); else showLedgerLogin("");
});
