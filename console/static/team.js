/* Patrol team page for a phone on a winter night.
   - Tasks arrive over Server-Sent Events (/api/team/stream), polling when the stream is down.
   - Every action (accept, on scene, resolve, decline, status change) gets a client id, is kept in
     localStorage until the server confirms it, and goes out in order when the signal returns; the
     server and the desk apply each id once. "Not yet sent" lists what is still on the phone.
   - A new or changed task sounds (WebAudio), vibrates and shows an alert; the screen stays awake.
   - While on duty, with consent, the phone's position goes to team-status at the policy's interval.
   - Navigation buttons for Amap / Baidu / Tencent use coordinates converted by the server.
   - A task shows what the person ledger knows (`known`: the linked or likely file, what helps).
   - Sweep tasks the supervisor sent (/api/ledger/team/sweeps) are listed below the tasks; accepted,
     found and not found go through the same outbox. */
"use strict";

const TEAM_TOKEN_KEY = "patrol.team.token";
const POLL_MS = 10000;
const RETRY_MIN_MS = 2000;
const RETRY_MAX_MS = 30000;
const ON_DUTY = ["available", "en_route", "on_scene", "break"];
const team = {
  token: "", me: null, outcomes: [], config: { position_every_s: 30, statuses: ["available", "en_route", "on_scene", "break", "off_duty"] },
  tasks: [], sweeps: [], now: null, nowWall: 0, self: null, city: null, selected: null, openScene: new Set(),
  queue: [], refused: [], flushing: false, retryMs: RETRY_MIN_MS, retryTimer: null,
  streaming: false, pollTimer: null, seen: {}, audio: null, wakeLock: null,
  fix: null, sentFixAt: null, sentWall: 0, watchId: null, positionTimer: null, online: false, note: null, wakeStream: null,
};

/* ------------------------------------------------------------------ storage */

function storeKey(name) { return "patrol.team." + name + "." + (team.me ? team.me.team_id : "-"); }

function load(name, fallback) {
  try { const raw = localStorage.getItem(storeKey(name)); return raw ? JSON.parse(raw) : fallback; } catch (e) { return fallback; }
}

function save(name, value) {
  try { localStorage.setItem(storeKey(name), JSON.stringify(value)); } catch (e) { /* storage full or private mode */ }
}

/* A random id per action (UUID v4 from getRandomValues: works without a secure context too). */
function clientId() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
}

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

function setNet(online) {
  team.online = online;
  const net = document.getElementById("net");
  net.className = "net " + (online ? "on" : "off");
  net.textContent = online ? t(team.streaming ? "live" : "polling") : t("offline");
}

/* ------------------------------------------------------------------ outbox */

/* Queue one action; it stays on the phone until the server answers 2xx (sent) or 4xx (refused). */
function enqueue(kind, body, label) {
  const item = { client_id: clientId(), kind: kind, body: Object.assign({}, body), label: label, made_at: new Date().toISOString() };
  item.body.client_id = item.client_id;
  item.body.at = item.made_at;
  team.queue.push(item);
  save("queue", team.queue);
  renderOutbox();
  renderTasks();
  flushQueue();
}

const OUTBOX_PATHS = {
  ack: "/api/team/acks", status: "/api/team/status", assess: "/api/team/assessment", sweep: "/api/ledger/team/sweeps/report",
  link: (body) => "/api/ledger/incidents/" + encodeURIComponent(body.incident_id) + "/link",
};

/* Send queued actions in order; stop at the first that cannot get through and retry later. */
async function flushQueue() {
  if (team.flushing || !team.token) return;
  team.flushing = true;
  clearTimeout(team.retryTimer);
  try {
    while (team.queue.length) {
      const item = team.queue[0];
      let res;
      try {
        const path = OUTBOX_PATHS[item.kind];
        res = await fetch(typeof path === "function" ? path(item.body) : path, { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(item.body), cache: "no-store" });
      } catch (e) {
        res = null; /* no signal */
      }
      if (res && res.status === 401) { showTeamLogin(t("bad_token")); return; }
      if (!res || res.status >= 500 || res.status === 429 || res.status === 408) {
        setNet(!!res);
        team.retryTimer = setTimeout(flushQueue, team.retryMs);
        team.retryMs = Math.min(team.retryMs * 2, RETRY_MAX_MS);
        return;
      }
      const data = await res.json().catch(() => ({}));
      team.queue.shift();
      if (!res.ok) {
        team.refused.unshift(Object.assign({}, item, { error: data.error || String(res.status), message: data.message || "" }));
        team.refused.length = Math.min(team.refused.length, 5);
        teamToast(t("refused") + ": " + item.label + " — " + errorText(data.error, data.message || String(res.status)), true);
      }
      save("queue", team.queue);
      team.retryMs = RETRY_MIN_MS;
      renderOutbox();
      setNet(true);
    }
    if (team.fix) sendPosition();
  } finally {
    team.flushing = false;
  }
  renderTasks();
  loadSweeps();
}

function renderOutbox() {
  const box = document.getElementById("outbox");
  const items = team.queue.map((item, i) => el("li", { class: "pending", "data-client-id": item.client_id },
    el("b", { text: item.label }), " · " + t("queued_at") + " " + fmtTime(item.made_at) + " · ",
    el("span", { class: "muted", text: i === 0 && team.flushing ? t("sending") : t("waiting_signal") })));
  const refused = team.refused.map((item) => el("li", { class: "refused", title: item.message },
    el("b", { text: item.label }), " · " + t("refused") + ": " + errorText(item.error, item.message)));
  document.getElementById("outbox-list").replaceChildren(...items, ...refused);
  document.getElementById("outbox-count").textContent = String(team.queue.length);
  box.classList.toggle("hidden", team.queue.length === 0 && team.refused.length === 0);
}

/* A refusal in the page's language when the code is known, else the server's sentence. */
function errorText(code, message) {
  const key = "err_" + code;
  const text = t(key);
  return text !== key ? text : message || code;
}

function pendingFor(task) {
  return team.queue.filter((item) => item.kind === "ack" && item.body.event_id === task.event_id);
}

/* ------------------------------------------------------------------ tasks */

function taskSignature(task) {
  return [task.event_id, task.priority, task.category, task.ack_deadline, task.lat, task.lon].join("|");
}

function setTasks(payload) {
  const before = team.seen;
  const after = {};
  let alert = null;
  for (const task of payload.tasks || []) {
    const sig = taskSignature(task);
    after[task.incident_id] = sig;
    if (!(task.incident_id in before)) alert = alert || { key: "new_task", task: task };
    else if (before[task.incident_id] !== sig) alert = alert || { key: "task_changed", task: task };
  }
  if (!alert) for (const id of Object.keys(before)) if (!(id in after)) { alert = { key: "task_withdrawn", task: { incident_id: id } }; break; }
  team.seen = after;
  save("seen", after);
  team.tasks = payload.tasks || [];
  team.self = payload.team || team.self;
  if (payload.now) setTeamNow(payload.now);
  save("tasks", { tasks: team.tasks, now: team.now, team: team.self });
  if (!team.tasks.some((task) => task.incident_id === team.selected)) team.selected = team.tasks.length ? team.tasks[0].incident_id : null;
  document.getElementById("stale").classList.add("hidden");
  renderTasks();
  if (alert) raiseAlert(alert.key, alert.task);
}

function setTeamNow(iso) {
  team.now = iso;
  team.nowWall = Date.now();
}

/* Event-time now, moved on by the phone's clock since the server last said. */
function teamNowMs() {
  return team.now ? new Date(team.now).getTime() + (Date.now() - team.nowWall) : Date.now();
}

async function loadTasks() {
  let res;
  try {
    res = await fetch("/api/team/tasks", { headers: authHeaders(), cache: "no-store" });
  } catch (e) {
    setNet(false);
    return;
  }
  if (res.status === 401 || res.status === 403) { showTeamLogin(t("bad_token")); return; }
  if (!res.ok) return;
  setTasks(await res.json());
  setNet(true);
}

/* The task stream; when it breaks, poll until it is back. */
async function streamTasks() {
  for (;;) {
    try {
      const res = await fetch("/api/team/stream", { headers: authHeaders(), cache: "no-store" });
      if (res.status === 401 || res.status === 403) { showTeamLogin(t("bad_token")); return; }
      if (!res.ok || !res.body) throw new Error("stream " + res.status);
      team.streaming = true;
      stopPolling();
      setNet(true);
      flushQueue();
      await readEvents(res.body, (event, data) => {
        if (event === "tasks") setTasks(data);
        else if (event === "now") setTeamNow(data.now);
      });
    } catch (e) {
      /* lost signal or the server restarted: poll and retry below */
    }
    team.streaming = false;
    setNet(navigator.onLine);
    startPolling();
    await new Promise((resolve) => { team.wakeStream = resolve; setTimeout(resolve, navigator.onLine ? 3000 : 10000); });
  }
}

/* Server-Sent Events read from a fetch body (the token travels in a header, never in a URL). */
async function readEvents(body, onEvent) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const lines = buffer.slice(0, cut).split("\n");
      buffer = buffer.slice(cut + 2);
      const event = (lines.find((l) => l.startsWith("event:")) || "event: message").slice(6).trim();
      const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim()).join("\n");
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}

function startPolling() {
  if (!team.pollTimer) team.pollTimer = setInterval(() => { loadTasks(); flushQueue(); }, POLL_MS);
}

function stopPolling() {
  clearInterval(team.pollTimer);
  team.pollTimer = null;
}

/* ------------------------------------------------------------------ alerts */

function unlockAudio() {
  document.getElementById("sound-hint").classList.add("hidden");
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  if (!team.audio) team.audio = new Ctx();
  if (team.audio.state === "suspended") team.audio.resume();
}

/* Three rising beeps from an oscillator: no sound file to download or cache. */
function beep() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return false;
  if (!team.audio) team.audio = new Ctx();
  const ctx = team.audio;
  if (ctx.state === "suspended") { ctx.resume(); document.getElementById("sound-hint").classList.remove("hidden"); }
  const start = ctx.currentTime + 0.05;
  [880, 1100, 1320].forEach((freq, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, start + i * 0.3);
    gain.gain.exponentialRampToValueAtTime(0.5, start + i * 0.3 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.3 + 0.25);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + i * 0.3);
    osc.stop(start + i * 0.3 + 0.26);
  });
  return true;
}

function raiseAlert(key, task) {
  const text = t(key) + " · " + (task.category ? term(task.category) + " · " : "") + task.incident_id;
  document.getElementById("alert-text").textContent = text;
  const box = document.getElementById("alert");
  box.classList.remove("hidden");
  box.dataset.key = key;
  const sounded = beep();
  const vibrated = !!(navigator.vibrate && navigator.vibrate([400, 150, 400, 150, 800]));
  document.body.dataset.alerts = String(Number(document.body.dataset.alerts || 0) + 1);
  document.body.dataset.lastAlert = JSON.stringify({ key: key, incident: task.incident_id, sounded: sounded, vibrated: vibrated,
    audio: team.audio ? team.audio.state : "none" });
  keepAwake();
}

/* Keep the screen on while the page is open (re-taken when the page becomes visible again). */
async function keepAwake() {
  if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || (team.wakeLock && !team.wakeLock.released)) return;
  try {
    team.wakeLock = await navigator.wakeLock.request("screen");
    document.getElementById("wake").classList.remove("hidden");
    team.wakeLock.addEventListener("release", () => document.getElementById("wake").classList.add("hidden"));
  } catch (e) {
    /* refused (battery saver) or not a secure context */
  }
}

/* ------------------------------------------------------------------ position and status */

function onDuty() {
  return ON_DUTY.includes(team.self ? team.self.status : "available");
}

function sharing() { return load("sharing", false); }

function setSharing(on) {
  save("sharing", on);
  if (on) startWatching(); else stopWatching();
  renderDuty();
}

function startWatching() {
  if (!navigator.geolocation || team.watchId !== null) return;
  team.watchId = navigator.geolocation.watchPosition((pos) => {
    team.fix = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: Math.round(pos.coords.accuracy), at: new Date(pos.timestamp).toISOString() };
    if (!team.sentFixAt) sendPosition();
    renderMap();
  }, () => setNote("no_gps", "", true), { enableHighAccuracy: true, maximumAge: 10000, timeout: 60000 });
  clearInterval(team.positionTimer);
  team.positionTimer = setInterval(sendPosition, team.config.position_every_s * 1000);
}

function stopWatching() {
  if (team.watchId !== null) navigator.geolocation.clearWatch(team.watchId);
  team.watchId = null;
  clearInterval(team.positionTimer);
  team.positionTimer = null;
}

/* The latest fix, once per interval, only while on duty and after queued actions (they come first). */
async function sendPosition() {
  const fix = team.fix;
  if (!fix || !sharing() || !onDuty() || team.queue.length || fix.at === team.sentFixAt) return;
  const due = team.sentWall && Date.now() - team.sentWall < team.config.position_every_s * 1000 - 500;
  if (due) return;
  let res;
  try {
    res = await fetch("/api/team/status", { method: "POST", headers: authHeaders({ "Content-Type": "application/json" }), body: JSON.stringify(fix), cache: "no-store" });
  } catch (e) {
    return; /* no signal: the next fix goes when it is back */
  }
  const data = await res.json().catch(() => ({}));
  if (res.ok) {
    team.sentFixAt = fix.at;
    team.sentWall = Date.now();
    setNote("position_sent", fmtTime(fix.at) + " (±" + fix.accuracy_m + " m)", false);
  } else if (res.status < 500) {
    team.sentFixAt = fix.at; /* this fix is refused for good: wait for the next one */
    setNote("position_refused", errorText(data.error, data.message || String(res.status)), true);
  }
}

/* The line under the share button: a label key (translated on every render) and a detail. */
function setNote(key, detail, bad) {
  team.note = key ? { key: key, detail: detail, bad: bad } : null;
  renderNote();
}

function renderNote() {
  const note = document.getElementById("position-note");
  note.textContent = team.note ? t(team.note.key) + (team.note.detail ? " " + team.note.detail : "") : "";
  note.className = team.note && team.note.bad ? "error" : "muted";
}

function setStatus(status) {
  if (team.self) team.self.status = status;
  enqueue("status", { status: status }, t("my_status") + ": " + term(status));
  if (!ON_DUTY.includes(status)) stopWatching(); else if (sharing()) startWatching();
  renderDuty();
}

function renderDuty() {
  const current = team.self ? team.self.status : null;
  document.getElementById("statuses").replaceChildren(...team.config.statuses.map((s) =>
    el("button", { type: "button", class: "status-btn" + (s === current ? " active" : ""), "data-status": s, "aria-pressed": s === current ? "true" : "false",
                   text: term(s), onclick: () => setStatus(s) })));
  const share = document.getElementById("share");
  share.textContent = t(sharing() ? "stop_sharing" : "share_position");
  share.classList.toggle("active", sharing());
}

/* ------------------------------------------------------------------ rendering */

function navRow(nav, forWhat) {
  if (!nav) return null;
  return el("div", { class: "nav-row" },
    el("a", { class: "nav nav-amap", "data-for": forWhat, href: nav.amap, text: t("amap") }),
    el("a", { class: "nav nav-baidu", "data-for": forWhat, href: nav.baidu, text: t("baidu") }),
    el("a", { class: "nav nav-tencent", "data-for": forWhat, href: nav.tencent, text: t("tencent") }),
    el("a", { class: "nav nav-geo", "data-for": forWhat, href: nav.geo, text: t("other_app") }));
}

function countdown(task) {
  if (!task.ack_deadline) return el("div", { class: "countdown none", text: t("deadline") + " —" });
  const left = new Date(task.ack_deadline).getTime() - teamNowMs();
  return el("div", { class: "countdown" + (left < 0 ? " overdue" : left < 120000 ? " soon" : ""), "data-deadline": task.ack_deadline },
    el("span", { class: "label", text: t("deadline") }), el("span", { class: "big", text: fmtDuration(left) }));
}

/* What the person ledger knows about the person on this task: their file (linked) or the likely one,
   which the team confirms once it has met the person. */
function knownBox(known, incidentId) {
  if (!known) return null;
  const who = [term(known.sex), term(known.age_group), known.appearance].filter((x) => x && x !== "unknown").join(" · ");
  return el("section", { class: "known", "data-person": known.person_id },
    el("h3", { text: t(known.linked ? "known_file" : "likely_file") + " · " + known.person_id }),
    who ? el("p", { class: "muted", text: who }) : null,
    known.usual ? el("p", { text: known.usual }) : null,
    el("ul", null, ...(known.what_helps || []).map((w) => el("li", { text: w }))),
    incidentId && !known.linked ? el("button", { type: "button", "data-link": known.person_id, text: t("confirm_file"),
      onclick: () => enqueue("link", { incident_id: incidentId, person_id: known.person_id }, t("confirm_file") + " · " + known.person_id) }) : null);
}

function taskCard(task) {
  const dest = task.destination;
  const pending = pendingFor(task);
  const action = task.action_text ? task.action_text[LANG] || task.action_text.en : task.action;
  const outcome = el("select", { id: "outcome-" + task.incident_id, "aria-label": t("outcome") },
    el("option", { value: "", text: t("outcome") + "…" }), ...team.outcomes.map((o) => el("option", { value: o, text: term(o) })));
  const ack = (status) => () => {
    const body = { event_id: task.event_id, status: status };
    if (status === "resolved") {
      if (!outcome.value) { teamToast(t("outcome") + "?", true); outcome.focus(); return; }
      body.outcome = outcome.value;
    }
    const label = term(status === "resolved" ? body.outcome : status) + " · " + task.incident_id;
    enqueue("ack", body, label);
  };
  return el("article", { class: "team-card prio-" + task.priority + (task.incident_id === team.selected ? " selected" : ""), "data-incident": task.incident_id },
    el("h2", null, el("span", { class: "prio prio-" + task.priority, text: task.priority }), term(task.category),
      pending.length ? el("span", { class: "pending-tag", text: t("outbox") + " " + pending.length }) : null),
    el("div", { class: "muted", text: task.incident_id + " · " + term(task.status) + (task.key_area ? " · " + term(task.key_area) : "") }),
    countdown(task),
    el("p", { class: "action-text", text: action || "—" }),
    knownBox(task.known, task.incident_id),
    el("dl", null,
      el("dt", { text: t("target") }), el("dd", null, task.lat.toFixed(5) + ", " + task.lon.toFixed(5)),
      el("dt", { text: t("destination") }), el("dd", { text: dest ? (LANG === "zh" ? dest.name : dest.name_en || dest.name) + " · " + term(dest.kind) + " · " + Math.round(dest.distance_m) + " m" : "—" }),
      el("dt", { text: t("persons") }), el("dd", { text: task.persons ?? "—" }),
      el("dt", { text: t("flags") }), el("dd", { text: (task.flags || []).map(term).join(", ") || "—" }),
      el("dt", { text: t("notify") }), el("dd", { text: (task.notify || []).map(term).join(", ") || "—" }),
      el("dt", { text: t("text") }), el("dd", { text: task.text || "—" })),
    el("h3", { text: t("navigate") + " · " + t("target") }), navRow(task.target, "target"),
    dest ? el("h3", { text: t("navigate") + " · " + t("destination") }) : null, dest ? navRow(dest.nav, "destination") : null,
    onScene(task),
    el("div", { class: "buttons" },
      el("button", { type: "button", class: "primary", "data-ack": "accepted", text: t("accept"), onclick: ack("accepted") }),
      el("button", { type: "button", "data-ack": "on_scene", text: t("on_scene"), onclick: ack("on_scene") }),
      outcome,
      el("button", { type: "button", class: "primary", "data-ack": "resolved", text: t("resolved_btn"), onclick: ack("resolved") }),
      el("button", { type: "button", "data-ack": "declined", text: t("decline"), onclick: ack("declined") }),
      el("button", { type: "button", class: "map-btn", text: t("map_btn"), onclick: () => { team.selected = task.incident_id; renderTasks(); document.getElementById("map-box").scrollIntoView(); } })));
}

/* What the team finds on scene: flags to add or remove and the head count, queued like an ack
   (offline-safe, applied once by its client id); the desk reassesses and the console shows who said it. */
function onScene(task) {
  const flags = (team.config.flags || []);
  const have = new Set(task.flags || []);
  const boxes = flags.map((f) => el("label", { class: "flag" },
    el("input", { type: "checkbox", value: f, "data-flag": f, checked: have.has(f) }), " " + (f === "unresponsive" ? term("unresponsive_flag") : term(f))));
  const persons = el("input", { type: "number", min: "1", step: "1", class: "persons", value: task.persons || "", "aria-label": t("persons") });
  const send = () => {
    const chosen = new Set(boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value));
    const body = { event_id: task.event_id, add_flags: [...chosen].filter((f) => !have.has(f)), remove_flags: [...have].filter((f) => flags.includes(f) && !chosen.has(f)) };
    if (persons.value && Number(persons.value) !== task.persons) body.persons = Number(persons.value);
    if (!body.add_flags.length && !body.remove_flags.length && body.persons === undefined) { teamToast(t("nothing_changed"), true); return; }
    const said = [...body.add_flags.map((f) => "+" + term(f)), ...body.remove_flags.map((f) => "-" + term(f))].concat(body.persons ? ["×" + body.persons] : []);
    enqueue("assess", body, said.join(" ") + " · " + task.incident_id);
  };
  return el("details", { class: "on-scene", "data-incident": task.incident_id, open: team.openScene.has(task.incident_id),
    ontoggle: (ev) => { if (ev.target.open) team.openScene.add(task.incident_id); else team.openScene.delete(task.incident_id); } },
    el("summary", { text: t("on_scene_found") }),
    el("div", { class: "flags" }, ...boxes),
    el("label", null, t("persons") + " ", persons),
    el("button", { type: "button", class: "primary", "data-assess": task.incident_id, text: t("send_found"), onclick: send }));
}

function renderTasks() {
  document.getElementById("now").textContent = team.now ? fmtTime(new Date(teamNowMs()).toISOString()) : "--:--";
  document.getElementById("no-tasks").classList.toggle("hidden", team.tasks.length > 0);
  /* keep a chosen outcome across re-renders */
  const chosen = {};
  for (const s of document.querySelectorAll("#tasks select")) chosen[s.id] = s.value;
  document.getElementById("tasks").replaceChildren(...team.tasks.map(taskCard));
  for (const [id, value] of Object.entries(chosen)) { const s = document.getElementById(id); if (s) s.value = value; }
  renderMap();
}

/* ------------------------------------------------------------------ sweeps */

async function loadSweeps() {
  if (!team.token) return;
  let res;
  try {
    res = await fetch("/api/ledger/team/sweeps", { headers: authHeaders(), cache: "no-store" });
  } catch (e) {
    return; /* no signal: keep the last list */
  }
  if (!res.ok) return;
  team.sweeps = (await res.json()).tasks || [];
  save("sweeps", team.sweeps);
  renderSweeps();
}

function sweepCard(task) {
  const pending = team.queue.filter((item) => item.kind === "sweep" && item.body.task_id === task.task_id);
  const note = el("input", { id: "sweep-note-" + task.task_id, type: "text", maxlength: "2000", placeholder: t("sweep_note") });
  const report = (status) => () => enqueue("sweep", { task_id: task.task_id, status: status, note: note.value }, term(status) + " · " + t("sweeps"));
  return el("article", { class: "team-card sweep-card", "data-task": task.task_id },
    el("h2", null, t("sweeps") + " #" + task.rank + " · " + (task.district || ""),
      pending.length ? el("span", { class: "pending-tag", text: t("outbox") + " " + pending.length }) : null),
    el("div", { class: "muted", text: term(task.status) + " · " + task.hours }),
    el("dl", null,
      el("dt", { text: t("target") }), el("dd", null, Number(task.lat).toFixed(5) + ", " + Number(task.lon).toFixed(5)),
      el("dt", { text: t("reason") }), el("dd", { text: task.reasons || "—" })),
    ...(task.persons || []).map((p) => knownBox(Object.assign({ linked: true, usual: "" }, p))),
    el("div", { class: "buttons" },
      task.status === "open" ? el("button", { type: "button", class: "primary", "data-sweep": "accepted", text: t("accept"), onclick: report("accepted") }) : null,
      note,
      el("button", { type: "button", class: "primary", "data-sweep": "found", text: t("sweep_found"), onclick: report("found") }),
      el("button", { type: "button", "data-sweep": "not_found", text: t("sweep_not_found"), onclick: report("not_found") })));
}

function renderSweeps() {
  const box = document.getElementById("sweeps");
  box.classList.toggle("hidden", team.sweeps.length === 0);
  document.getElementById("sweep-list").replaceChildren(...team.sweeps.map(sweepCard));
}

function ownPosition() {
  if (team.fix) return team.fix;
  return team.self && team.self.lat != null ? { lat: team.self.lat, lon: team.self.lon } : null;
}

function renderMap() {
  const task = team.tasks.find((x) => x.incident_id === team.selected);
  const box = document.getElementById("map-box");
  box.classList.toggle("hidden", !task);
  if (!task) return;
  const destName = task.destination ? (LANG === "zh" ? task.destination.name : task.destination.name_en || task.destination.name) : "";
  drawTaskMap(document.getElementById("task-map"), team.city, task, ownPosition(), document.body.classList.contains("dark"),
    { target: task.incident_id, destination: destName, own: t("you") });
}

function tickCountdowns() {
  document.getElementById("now").textContent = team.now ? fmtTime(new Date(teamNowMs()).toISOString()) : "--:--";
  for (const node of document.querySelectorAll(".countdown[data-deadline]")) {
    const left = new Date(node.dataset.deadline).getTime() - teamNowMs();
    node.querySelector(".big").textContent = fmtDuration(left);
    node.classList.toggle("overdue", left < 0);
    node.classList.toggle("soon", left >= 0 && left < 120000);
  }
}

/* ------------------------------------------------------------------ start */

async function startTeam() {
  let res;
  try {
    res = await fetch("/api/me", { headers: authHeaders(), cache: "no-store" });
  } catch (e) {
    res = null;
  }
  if (res && !res.ok) { showTeamLogin(t("bad_token")); return; }
  team.me = res ? await res.json() : load("me", null); /* no signal: who we were last time */
  if (!team.me) { showTeamLogin(t("offline")); return; }
  save("me", team.me);
  if (team.me.role !== "team") { location.href = "/"; return; }
  team.outcomes = team.me.outcomes || [];
  document.getElementById("team-id").textContent = team.me.team_id;
  document.getElementById("login").classList.add("hidden");
  team.queue = load("queue", []);
  team.seen = load("seen", {});
  const last = load("tasks", null);
  if (last) {
    team.tasks = last.tasks || [];
    team.self = last.team;
    if (last.now) setTeamNow(last.now);
    team.selected = team.tasks.length ? team.tasks[0].incident_id : null;
    document.getElementById("stale").classList.remove("hidden");
  }
  const [config, city] = await Promise.all([
    fetch("/api/team/phone", { headers: authHeaders() }).then((r) => (r.ok ? r.json() : null)).catch(() => null),
    fetch("/api/city", { headers: authHeaders() }).then((r) => (r.ok ? r.json() : null)).catch(() => null),
  ]);
  if (config) { team.config = config; save("config", config); } else team.config = load("config", team.config);
  team.city = city;
  if (city && city.meta && city.meta.timezone) TZ = city.meta.timezone;
  team.sweeps = load("sweeps", []);
  renderOutbox();
  renderDuty();
  renderTasks();
  renderSweeps();
  loadSweeps();
  if (sharing()) startWatching();
  keepAwake();
  flushQueue();
  streamTasks();
  if (!startTeam.timer) startTeam.timer = setInterval(tickCountdowns, 1000);
}

/* Logging out leaves nothing of the team's tasks on the phone: the last task list and sweeps (what
   helps the people: health and risk notes), who the team is and the service worker's copy of /api/me,
   which let anyone open the tasks without signal by typing any token. Actions not yet sent stay
   queued, and go out when the team signs in again. */
async function forgetTeam() {
  for (const name of ["tasks", "sweeps", "seen", "me"]) {
    try { localStorage.removeItem(storeKey(name)); } catch (e) { /* ignore */ }
  }
  try { if (window.caches) await (await caches.open("patrol-team-v1")).delete("/api/me"); } catch (e) { /* ignore */ }
}

/* On the first visit the page loads before its service worker runs: once it does, fetch the
   city map and settings again through it so they are there without signal. */
function warmCache() {
  if (!team.token) return;
  for (const path of ["/api/city", "/api/me", "/api/team/phone"]) fetch(path, { headers: authHeaders() }).catch(() => {});
}

function applyTheme(dark) {
  document.body.classList.toggle("dark", dark);
  document.getElementById("theme").textContent = t(dark ? "day_theme" : "night_theme");
  try { localStorage.setItem("patrol.team.theme", dark ? "dark" : "light"); } catch (e) { /* ignore */ }
  renderMap();
}

document.addEventListener("DOMContentLoaded", () => {
  applyLabels();
  let dark = true;
  try { dark = localStorage.getItem("patrol.team.theme") !== "light"; } catch (e) { /* ignore */ }
  applyTheme(dark);
  team.token = takeToken(TEAM_TOKEN_KEY);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/team-sw.js", { scope: "/" }).catch(() => {});
    navigator.serviceWorker.addEventListener("controllerchange", warmCache);
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.getElementById("lang").addEventListener("click", () => {
    toggleLang();
    applyTheme(document.body.classList.contains("dark"));
    setNet(team.online);
    renderNote();
    renderOutbox();
    renderDuty();
    renderTasks();
  });
  document.getElementById("theme").addEventListener("click", () => applyTheme(!document.body.classList.contains("dark")));
  document.getElementById("alert-dismiss").addEventListener("click", () => document.getElementById("alert").classList.add("hidden"));
  document.getElementById("share").addEventListener("click", () => {
    if (sharing()) setSharing(false);
    else if (confirm(t("consent_q"))) setSharing(true);
  });
  document.getElementById("logout").addEventListener("click", async () => {
    try { sessionStorage.removeItem(TEAM_TOKEN_KEY); } catch (e) { /* ignore */ }
    await forgetTeam();
    location.reload();
  });
  document.getElementById("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    team.token = document.getElementById("token").value.trim();
    try { sessionStorage.setItem(TEAM_TOKEN_KEY, team.token); } catch (e) { /* ignore */ }
    startTeam();
  });
  window.addEventListener("online", () => { setNet(true); flushQueue(); loadTasks(); if (team.wakeStream) team.wakeStream(); });
  window.addEventListener("offline", () => setNet(false));
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") { keepAwake(); flushQueue(); } });
  if (team.token) startTeam(); else showTeamLogin("");
});
