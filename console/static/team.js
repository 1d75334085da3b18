/* Patrol team page: the team's own tasks (personal details masked by the server) and
   accept / on scene / resolve / decline. Polls the API; works on a phone browser. */
"use strict";

const TEAM_TOKEN_KEY = "patrol.team.token";
const POLL_MS = 5000;
const team = { token: "", tasks: [], now: null, outcomes: [], me: null };

function authHeaders(extra) { return Object.assign({ Authorization: "Bearer " + team.token }, extra || {}); }

function showTeamLogin(message) {
  document.getElementById("login").classList.remove("hidden");
  document.getElementById("login-error").textContent = message || "";
}

function teamToast(text, bad) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.className = "toast" + (bad ? " bad" : "");
  clearTimeout(teamToast.timer);
  teamToast.timer = setTimeout(() => box.classList.add("hidden"), 4000);
}

async function loadTasks() {
  const res = await fetch("/api/team/tasks", { headers: authHeaders(), cache: "no-store" });
  if (res.status === 401 || res.status === 403) { showTeamLogin(t("bad_token")); return; }
  const data = await res.json();
  team.tasks = data.tasks || [];
  team.now = data.now;
  renderTasks();
}

async function ack(task, status) {
  const body = { event_id: task.event_id, status: status };
  if (status === "resolved") {
    const select = document.getElementById("outcome-" + task.incident_id);
    if (!select || !select.value) { teamToast(t("outcome") + "?", true); return; }
    body.outcome = select.value;
  }
  const res = await fetch("/api/team/acks", { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  teamToast(res.ok ? t("sent") : t("failed") + ": " + (data.message || res.status), !res.ok);
  setTimeout(loadTasks, 800);
}

function renderTasks() {
  document.getElementById("now").textContent = team.now ? fmtTime(team.now) : "--:--";
  const box = document.getElementById("tasks");
  document.getElementById("no-tasks").classList.toggle("hidden", team.tasks.length > 0);
  box.replaceChildren(...team.tasks.map((task) => {
    const hp = task.nearest_help_point;
    const left = task.ack_deadline && team.now ? new Date(task.ack_deadline) - new Date(team.now) : null;
    const outcome = el("select", { id: "outcome-" + task.incident_id }, el("option", { value: "", text: t("outcome") + "…" }),
      ...team.outcomes.map((o) => el("option", { value: o, text: term(o) })));
    return el("article", { class: "team-card prio-" + task.priority, "data-incident": task.incident_id },
      el("h2", null, el("span", { class: "prio prio-" + task.priority, text: task.priority }), term(task.category)),
      el("div", { class: "muted", text: task.incident_id + " · " + term(task.status) }),
      el("dl", null,
        el("dt", { text: t("action") }), el("dd", { text: task.action || "—" }),
        el("dt", { text: t("deadline") }), el("dd", { class: left !== null && left < 0 ? "overdue" : "", text: task.ack_deadline ? fmtTime(task.ack_deadline) + (left !== null ? " (" + fmtDuration(left) + ")" : "") : "—" }),
        el("dt", { text: t("navigate") }), el("dd", null, el("a", { class: "nav", href: "geo:" + task.lat + "," + task.lon, text: task.lat.toFixed(5) + ", " + task.lon.toFixed(5) }), task.key_area ? " " + term(task.key_area) : ""),
        el("dt", { text: t("help_point") }), el("dd", { text: hp ? hp.name + " · " + Math.round(hp.distance_m) + " m" : "—" }),
        el("dt", { text: t("persons") }), el("dd", { text: task.persons ?? "—" }),
        el("dt", { text: t("flags") }), el("dd", { text: (task.flags || []).map(term).join(", ") || "—" }),
        el("dt", { text: t("notify") }), el("dd", { text: (task.notify || []).map(term).join(", ") || "—" }),
        el("dt", { text: t("text") }), el("dd", { text: task.text || "—" })),
      el("div", { class: "buttons" },
        el("button", { type: "button", class: "primary", text: t("accept"), onclick: () => ack(task, "accepted") }),
        el("button", { type: "button", text: t("on_scene"), onclick: () => ack(task, "on_scene") }),
        outcome,
        el("button", { type: "button", class: "primary", text: t("resolved_btn"), onclick: () => ack(task, "resolved") }),
        el("button", { type: "button", text: t("decline"), onclick: () => ack(task, "declined") })));
  }));
}

async function startTeam() {
  const res = await fetch("/api/me", { headers: authHeaders() });
  if (!res.ok) { showTeamLogin(t("bad_token")); return; }
  team.me = await res.json();
  if (team.me.role !== "team") { location.href = "/"; return; }
  team.outcomes = team.me.outcomes || [];
  document.getElementById("team-id").textContent = team.me.team_id;
  document.getElementById("login").classList.add("hidden");
  await loadTasks();
  if (!startTeam.timer) startTeam.timer = setInterval(() => { loadTasks().catch(() => {}); }, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  applyLabels();
  team.token = takeToken(TEAM_TOKEN_KEY);
  document.getElementById("lang").addEventListener("click", () => { toggleLang(); renderTasks(); });
  document.getElementById("refresh").addEventListener("click", () => loadTasks());
  document.getElementById("logout").addEventListener("click", () => {
    try { sessionStorage.removeItem(TEAM_TOKEN_KEY); } catch (e) { /* ignore */ }
    location.reload();
  });
  document.getElementById("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    team.token = document.getElementById("token").value.trim();
    try { sessionStorage.setItem(TEAM_TOKEN_KEY, team.token); } catch (e) { /* ignore */ }
    startTeam();
  });
  if (team.token) startTeam(); else showTeamLogin("");
});
