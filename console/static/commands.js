/* Operators in control, in the incident's detail panel: assign or override the team from the ETA
   shortlist, add a support unit, merge, split a report out, set a priority with a reason. Each is
   posted as a command; the desk's answer (applied, or rejected and why) arrives on the live stream
   as a `command` event and is listed under the incident with what changed and who changed it. */
"use strict";

const commands = {
  answers: new Map(), // command_id -> the desk's answer
  loaded: new Set(),  // incidents whose earlier answers were fetched
};

function clientId() {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return "op-" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function sendCommand(inc, body) {
  const reason = document.getElementById("cmd-reason").value.trim();
  if (reason) body.reason = reason;
  body.client_id = clientId(); // a resend of this click is applied once
  const res = await postJson("/api/incidents/" + encodeURIComponent(inc.incident_id) + "/commands", body);
  toast(res.ok ? bi("已发送，等待调度台答复", "sent, waiting for the desk") : bi("未发送", "not sent") + ": " + (res.data.message || res.status), !res.ok);
}

function ageCell(iso, level) {
  if (!iso) return node("span", { class: "muted" }, "-");
  return node("span", { class: "age esc-L" + Math.min(level || 0, 3) }, fmtDuration(Math.max(0, nowMs() - new Date(iso).getTime())));
}

function unitRow(unit) {
  const left = unit.ack_deadline ? new Date(unit.ack_deadline).getTime() - nowMs() : null;
  const due = left === null ? node("span", { class: "muted" }, term(unit.status))
    : node("span", { class: left < 0 ? "overdue" : left < 120000 ? "soon" : "" }, (left < 0 ? t("overdue") + " " : "") + fmtDuration(Math.abs(left)));
  return node("li", { "data-unit": unit.team_id, "data-role": unit.role },
    node("b", {}, teamLabel(unit.team_id) || unit.team_id), " · " + bi(unit.role === "lead" ? "主责" : "增援", unit.role) + " · " + term(unit.status) + " · ",
    unit.eta_min !== null && unit.eta_min !== undefined ? "ETA " + Math.round(unit.eta_min) + " min · " : "", due);
}

function select_(id, options) {
  return node("select", { id }, ...options.map(([value, text]) => node("option", { value }, text)));
}

function commandPanel(inc) {
  if (!commands.loaded.has(inc.incident_id)) {
    commands.loaded.add(inc.incident_id);
    api("/api/commands?incident_id=" + encodeURIComponent(inc.incident_id)).then(async (res) => {
      if (!res.ok) return;
      for (const a of (await res.json()).answers) commands.answers.set(a.command_id, a);
      if (state.selected === inc.incident_id) renderDetail();
    }).catch(() => {});
  }
  const box = node("div", { id: "command-panel" });
  const units = inc.assignments || [];
  box.append(node("h3", {}, bi("出动单位", "Units")),
    node("ul", { id: "detail-units", class: "items" }, ...(units.length ? units.map(unitRow) : [node("li", { class: "muted" }, inc.queued ? term("queued") : "-")])));
  if (inc.queued) box.append(node("div", {}, bi("排队时长 ", "queued for ") , ageCell(inc.queued_since, inc.escalation_level)));
  if (!inc.closed) {
    const shortlist = (inc.candidates || []).map((c) => node("button", { type: "button", class: "small", "data-team": c.team_id,
      onclick: () => sendCommand(inc, { kind: "assign", team_id: c.team_id }) }, bi("改派 ", "Assign ") + (teamLabel(c.team_id) || c.team_id) + " · " + Math.round(c.eta_min) + " min"));
    const teams = [...state.teams.values()].filter((tm) => tm.team_id !== inc.team_id).sort((a, b) => a.team_id.localeCompare(b.team_id))
      .map((tm) => [tm.team_id, tm.team_id + " · " + term(tm.status) + " · " + (tm.capabilities || []).map(term).join("/")]);
    const others = openIncidents().filter((o) => o.incident_id !== inc.incident_id).map((o) => [o.incident_id, o.priority + " " + o.incident_id + " " + term(o.category)]);
    const reports = (inc.sources || []).length > 1 ? inc.sources.map((s) => [s, s]) : [];
    box.append(node("h3", {}, bi("调度控制", "Operator control")),
      node("div", { id: "cmd-shortlist", class: "row" }, ...(shortlist.length ? shortlist : [node("span", { class: "muted" }, bi("无备选队伍", "no other candidates"))])),
      node("div", { class: "row" }, select_("cmd-team", teams),
        node("button", { type: "button", id: "cmd-assign", class: "small", onclick: () => sendCommand(inc, { kind: "assign", team_id: document.getElementById("cmd-team").value }) }, bi("改派", "Assign")),
        node("button", { type: "button", id: "cmd-support", class: "small", onclick: () => sendCommand(inc, { kind: "support", team_id: document.getElementById("cmd-team").value }) }, bi("增援", "Add support"))),
      others.length ? node("div", { class: "row" }, select_("cmd-merge-with", others),
        node("button", { type: "button", id: "cmd-merge", class: "small", onclick: () => sendCommand(inc, { kind: "merge", other_incident_id: document.getElementById("cmd-merge-with").value }) }, bi("并入本事件", "Merge into this"))) : "",
      reports.length ? node("div", { class: "row" }, select_("cmd-split-report", reports),
        node("button", { type: "button", id: "cmd-split", class: "small", onclick: () => sendCommand(inc, { kind: "split", report_id: document.getElementById("cmd-split-report").value }) }, bi("拆分为新事件", "Split out"))) : "",
      node("div", { class: "row" }, select_("cmd-priority", ["P1", "P2", "P3", "P4"].map((p) => [p, p])),
        node("button", { type: "button", id: "cmd-set-priority", class: "small", onclick: () => sendCommand(inc, { kind: "priority", priority: document.getElementById("cmd-priority").value }) }, bi("设定等级", "Set priority"))),
      node("input", { id: "cmd-reason", type: "text", maxlength: "200", placeholder: bi("理由（设定等级必填）", "reason (required for a priority)") }));
  }
  const answers = [...commands.answers.values()].filter((a) => a.incident_id === inc.incident_id).sort((a, b) => String(b.at).localeCompare(String(a.at)));
  box.append(node("h3", {}, bi("调度台答复", "The desk's answers")),
    node("ul", { id: "detail-answers", class: "items" }, ...(answers.length ? answers.map((a) => node("li", { class: "answer " + a.status, "data-command": a.command_id, "data-status": a.status },
      node("b", {}, bi(a.status === "applied" ? "已执行" : "已拒绝", a.status)), " · " + a.kind + " · " + (a.by_team ? a.by_team + " " : "") + a.by + " · " + fmtTime(a.at) + " · " + a.reason))
      : [node("li", { class: "muted" }, "-")])));
  const history = (inc.history || []).slice(-8).reverse();
  box.append(node("h3", {}, bi("变更记录", "What changed, who changed it")),
    node("ul", { id: "detail-history", class: "items" }, ...history.map((h) => node("li", { "data-kind": h.kind }, fmtTime(h.at) + " · " + term(h.kind) + " · " + h.priority + " · " + (h.reason || "")))));
  return box;
}

function onCommandEvent(event, payload) {
  if (event !== "command") return;
  commands.answers.set(payload.command_id, payload);
  if (payload.incident_id === state.selected) renderDetail();
  if (payload.status === "rejected") toast(bi("调度台拒绝: ", "the desk refused: ") + payload.reason, true);
}
