/* Dispatch console: live incidents over Server-Sent Events, a city map drawn from the
   city's own GeoJSON on SVG (no tiles, no CDN), and operator actions posted to the API. */
"use strict";

const TOKEN_KEY = "patrol.console.token";
const SVG_NS = "http://www.w3.org/2000/svg";
const state = {
  token: "",
  now: null,            // console's event-time now (ISO) from the server
  nowWall: 0,           // wall-clock ms when `now` arrived, to let the countdown run between ticks
  incidents: new Map(), // incident_id -> incident (open and closed)
  teams: new Map(),
  conditions: new Map(),
  city: null,
  selected: null,
  outcomes: [],
  me: null,
};
let proj = null;
let renderPending = false;

function headers() { return { Authorization: "Bearer " + state.token }; }

function showLogin(message) {
  document.getElementById("login").classList.remove("hidden");
  document.getElementById("login-error").textContent = message || "";
  document.getElementById("token").focus();
}

async function api(path, options) {
  const res = await fetch(path, Object.assign({ headers: headers() }, options || {}));
  if (res.status === 401) { showLogin(t("bad_token")); throw new Error("unauthorized"); }
  return res;
}

/* ---------------------------------------------------------------- live stream */

async function stream() {
  const conn = document.getElementById("conn");
  for (;;) {
    try {
      const res = await fetch("/api/stream", { headers: headers(), cache: "no-store" });
      if (res.status === 401 || res.status === 403) { conn.className = "conn off"; showLogin(t("bad_token")); return; }
      if (!res.ok || !res.body) throw new Error("stream " + res.status);
      conn.className = "conn on";
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          handleBlock(block);
        }
      }
    } catch (e) {
      /* reconnect below */
    }
    conn.className = "conn off";
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function handleBlock(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return;
  const payload = JSON.parse(data.join("\n"));
  if (event === "snapshot") {
    state.incidents.clear();
    for (const inc of payload.incidents.concat(payload.closed)) state.incidents.set(inc.incident_id, inc);
    state.teams.clear();
    for (const team of payload.teams) state.teams.set(team.team_id, team);
    state.conditions.clear();
    for (const c of payload.conditions) state.conditions.set(conditionsKey(c), c);
    setNow(payload.now);
  } else if (event === "incident") {
    state.incidents.set(payload.incident_id, payload);
  } else if (event === "team") {
    state.teams.set(payload.team_id, payload);
  } else if (event === "conditions") {
    state.conditions.set(conditionsKey(payload), payload);
  } else if (event === "now") {
    setNow(payload.now);
  }
  if (typeof onExtraEvent === "function") onExtraEvent(event, payload); // calls.js: attention, notices, new incidents
  scheduleRender();
}

function setNow(iso) {
  state.now = iso;
  state.nowWall = Date.now();
}

/* Event-time now, advanced by the wall clock since the last tick (ticks correct it). */
function nowMs() {
  if (!state.now) return Date.now();
  return new Date(state.now).getTime() + (Date.now() - state.nowWall);
}

function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => { renderPending = false; render(); });
}

/* ---------------------------------------------------------------- rendering */

const PRIORITY_ORDER = { P1: 0, P2: 1, P3: 2, P4: 3 };

function sortKey(inc) {
  return [PRIORITY_ORDER[inc.priority] ?? 9, inc.key_area ? 0 : 1, new Date(inc.first_report_at || inc.at).getTime(), inc.incident_id];
}

function cmp(a, b) {
  const ka = sortKey(a), kb = sortKey(b);
  for (let i = 0; i < ka.length; i++) { if (ka[i] < kb[i]) return -1; if (ka[i] > kb[i]) return 1; }
  return 0;
}

function openIncidents() { return [...state.incidents.values()].filter((i) => !i.closed).sort(cmp); }

function teamLabel(teamId) {
  if (!teamId) return null;
  const team = state.teams.get(teamId);
  if (!team) return teamId;
  return (LANG === "zh" ? team.name : team.name_en) || teamId;
}

function deadlineCell(inc) {
  if (!inc.ack_deadline) return el("span", { class: "muted", text: t("no_deadline") });
  const left = new Date(inc.ack_deadline).getTime() - nowMs();
  if (left < 0) return el("span", { class: "overdue", text: t("overdue") + " " + fmtDuration(-left) });
  return el("span", { class: left < 120000 ? "soon" : "", text: fmtDuration(left) });
}

function render() {
  renderHeader();
  renderConditions();
  renderIncidents();
  renderSide();
  renderMapDynamic();
}

function renderHeader() {
  document.getElementById("now").textContent = state.now ? fmtTime(new Date(nowMs()).toISOString()) : "--:--";
}

/* Short district name: 道里区 / Daoli. */
function districtName(props) {
  if (!props) return "";
  return LANG === "zh" ? props.name : (props.name_en || props.name || "").replace(/ District.*$/, "");
}

/* Each city's desk judges its own city-wide weather (region "*"): keyed by centre and region. */
function conditionsKey(c) {
  return (c.centre || "") + "|" + c.region;
}

/* The shown city's weather: its districts and its own city-wide region (every region with one city). */
function shownConditions(names) {
  const centre = state.city && state.city.centre;
  const several = state.city && (state.city.centres || []).length > 1;
  return [...state.conditions.values()]
    .filter((c) => !several || names.has(c.region) || (c.region === "*" && (!c.centre || c.centre === centre)))
    .sort((a, b) => conditionsKey(a).localeCompare(conditionsKey(b)));
}

function renderConditions() {
  const box = document.getElementById("conditions");
  box.replaceChildren();
  const districts = (state.city && state.city.districts.features) || [];
  const names = new Map(districts.map((f) => [f.properties.id, f.properties]));
  const shown = shownConditions(names);
  box.append(el("span", { class: "label", text: t("conditions_label") }));
  if (!shown.length) box.append(el("span", { class: "muted", text: t("none") }));
  for (const c of shown) {
    const region = c.region;
    const name = districtName(names.get(region)) || region;
    const level = c.cold_wave_level || "none";
    const chip = el("span", { class: "chip level-" + level, "data-region": region },
      el("b", { text: name }), " ",
      el("span", { text: level === "none" ? t("none") : term(level) }), " · ",
      el("span", { class: c.night ? "night" : "", text: c.night ? "☾ " + t("night") : t("day") }));
    if (c.wind_chill_c !== null && c.wind_chill_c !== undefined) chip.append(" · " + Math.round(c.wind_chill_c) + "°C");
    if (c.severe_cold) chip.append(el("span", { class: "tag danger", text: t("severe_cold") }));
    box.append(chip);
  }
}

function actionButtons(inc) {
  return el("span", { class: "actions" },
    el("button", { type: "button", class: "small", "data-action": "reassign", "data-incident": inc.incident_id, text: t("reassign"), onclick: (e) => { e.stopPropagation(); askAction("reassign", inc); } }),
    el("button", { type: "button", class: "small primary", "data-action": "resolve", "data-incident": inc.incident_id, text: t("resolve"), onclick: (e) => { e.stopPropagation(); askAction("resolve", inc); } }));
}

/* The latest unit timer warning (en route past ETA, too long on scene) since the lead's task was given, if any. */
function unitTimerFired(inc) {
  const history = inc.history || [];
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i].kind === "unit_timer") return history[i];
    if (history[i].event_id === inc.task_event_id) return null;
  }
  return null;
}

function renderIncidents() {
  const body = document.querySelector("#incidents tbody");
  const list = openIncidents();
  document.getElementById("incident-count").textContent = list.length;
  document.getElementById("no-incidents").classList.toggle("hidden", list.length > 0);
  body.replaceChildren(...list.map((inc) => {
    const rules = el("span", { class: "rules" }, ...inc.rules.filter((r) => !r.startsWith("category:")).map((r) => el("span", { class: "tag", text: term(r) })));
    const sources = el("span", { title: inc.sources.join(", ") }, String(inc.sources.length), " ", el("span", { class: "muted", text: inc.channels.map(term).join("/") }));
    const team = inc.team_id ? el("span", { class: "team-name", title: inc.team_id, text: teamLabel(inc.team_id) }) : el("span", { class: inc.queued ? "queued-tag" : "muted", text: inc.queued ? term("queued") : t("unassigned") });
    const esc = inc.escalation_level > 0
      ? el("span", { class: "tag danger", title: (inc.escalations || []).map((e) => fmtTime(e.at) + " " + (e.reason || "")).join("\n"), text: "L" + inc.escalation_level + (inc.escalate_to ? " → " + term(inc.escalate_to) : "") })
      : el("span", { class: "muted", text: "—" });
    const timer = unitTimerFired(inc) ? el("span", { class: "tag warn", "data-timer": inc.incident_id, title: unitTimerFired(inc).reason || "", text: "⏱ " + term("unit_timer") }) : null;
    const status = el("div", { class: "muted small-text", text: term(inc.status) + (inc.key_area ? " · " + term(inc.key_area) : "") },
      " ", el("span", { class: "age esc-L" + Math.min(inc.escalation_level || 0, 3), text: fmtDuration(Math.max(0, nowMs() - new Date(inc.first_report_at || inc.at).getTime())) }));
    const row = el("tr", { class: "prio-" + inc.priority + (state.selected === inc.incident_id ? " selected" : ""), "data-incident": inc.incident_id, onclick: () => select(inc.incident_id) },
      el("td", null, el("span", { class: "prio prio-" + inc.priority, text: inc.priority })),
      el("td", { class: "id" }, el("div", { text: inc.incident_id }), status),
      el("td", null, term(inc.category), inc.persons ? el("span", { class: "muted", text: " ×" + inc.persons }) : null),
      el("td", null, rules),
      el("td", null, sources),
      el("td", null, team),
      el("td", { class: "deadline" }, deadlineCell(inc)),
      el("td", null, esc, timer),
      el("td", null, actionButtons(inc)));
    return row;
  }));
}

function renderSide() {
  const queued = openIncidents().filter((i) => i.queued);
  document.getElementById("queued-count").textContent = queued.length;
  document.getElementById("queued").replaceChildren(...queued.map((inc) => el("li", { onclick: () => select(inc.incident_id) },
    el("span", { class: "prio prio-" + inc.priority, text: inc.priority }), " ",
    el("b", { text: inc.incident_id }), " ", term(inc.category), " ",
    el("span", { class: "age esc-L" + Math.min(inc.escalation_level || 0, 3), "data-age": "queued",
      text: fmtDuration(Math.max(0, nowMs() - new Date(inc.queued_since || inc.at).getTime())) }), " ",
    el("span", { class: "muted", text: t("queued_since") + " " + fmtTime(inc.queued_since || inc.at) + (inc.reason ? " · " + inc.reason : "") }))));
  if (!queued.length) document.getElementById("queued").append(el("li", { class: "muted", text: t("none") }));

  const teams = [...state.teams.values()].sort((a, b) => a.team_id.localeCompare(b.team_id));
  document.getElementById("team-count").textContent = teams.length;
  document.getElementById("teams").replaceChildren(...teams.map((team) => el("li", null,
    el("span", { class: "dot status-" + team.status }), " ",
    el("b", { text: (LANG === "zh" ? team.name : team.name_en) || team.team_id }), " ",
    el("span", { class: "muted", text: team.team_id + " · " + term(team.status) + " · " + (team.capabilities || []).map(term).join("/") }),
    team.incident_id ? el("span", { class: "tag", text: team.incident_id }) : null)));

  const closed = [...state.incidents.values()].filter((i) => i.closed).sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, 50);
  document.getElementById("closed-count").textContent = closed.length;
  document.getElementById("closed").replaceChildren(...closed.map((inc) => el("li", null,
    el("span", { class: "prio prio-" + inc.priority, text: inc.priority }), " ",
    el("b", { text: inc.incident_id }), " ", term(inc.category), " ",
    el("span", { class: "muted", text: term(inc.status) + " · " + fmtTime(inc.at) + (inc.reason ? " · " + inc.reason : "") }))));
}

function select(incidentId) {
  state.selected = state.selected === incidentId ? null : incidentId;
  if (typeof onSelect === "function") onSelect(state.selected);
  scheduleRender();
}

/* ---------------------------------------------------------------- map (SVG) */

function makeProjection(area) {
  const lat0 = ((area.lat_min + area.lat_max) / 2) * Math.PI / 180;
  const kx = 111.32 * Math.cos(lat0), ky = 110.57; // km per degree
  return {
    x: (lon) => (lon - area.lon_min) * kx,
    y: (lat) => (area.lat_max - lat) * ky,
    width: (area.lon_max - area.lon_min) * kx,
    height: (area.lat_max - area.lat_min) * ky,
  };
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

function ringsPath(rings) {
  return rings.map((ring) => "M" + ring.map(([lon, lat]) => proj.x(lon).toFixed(3) + "," + proj.y(lat).toFixed(3)).join("L") + "Z").join("");
}

function geometryPath(geom) {
  if (geom.type === "Polygon") return ringsPath(geom.coordinates);
  if (geom.type === "MultiPolygon") return geom.coordinates.map(ringsPath).join("");
  return "";
}

function drawCity() {
  const map = document.getElementById("map");
  const area = state.city.meta.service_area;
  proj = makeProjection(area);
  map.setAttribute("viewBox", "0 0 " + proj.width.toFixed(3) + " " + proj.height.toFixed(3));
  map.replaceChildren();
  const base = svg("g", { class: "base" });
  for (const f of state.city.districts.features) {
    base.append(svg("path", { d: geometryPath(f.geometry), class: "district district-" + f.properties.id }));
  }
  for (const f of state.city.zones.features) {
    base.append(svg("path", { d: geometryPath(f.geometry), class: f.properties.key_area ? "zone key" : "zone" },
      svg("title", {}, (f.properties.name || "") + " " + (f.properties.name_en || "") + (f.properties.key_area ? " · " + f.properties.key_area : ""))));
  }
  const labels = svg("g", { class: "labels" });
  for (const f of state.city.districts.features) {
    const ring = f.geometry.type === "Polygon" ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
    const cx = ring.reduce((s, p) => s + p[0], 0) / ring.length, cy = ring.reduce((s, p) => s + p[1], 0) / ring.length;
    labels.append(svg("text", { x: proj.x(cx), y: proj.y(cy), class: "district-label", "data-zh": f.properties.name, "data-en": (f.properties.name_en || "").replace(/ District.*$/, "") }));
  }
  const help = svg("g", { class: "help" });
  for (const f of state.city.help_points.features) {
    const [lon, lat] = f.geometry.coordinates;
    const x = proj.x(lon), y = proj.y(lat), s = 0.16;
    help.append(svg("path", { d: `M${x - s},${y}H${x + s}M${x},${y - s}V${y + s}`, class: "help-point kind-" + f.properties.kind },
      svg("title", {}, (f.properties.name || "") + " / " + (f.properties.name_en || "") + " (" + f.properties.kind + ")")));
  }
  map.append(base, labels, help, svg("g", { id: "map-teams" }), svg("g", { id: "map-incidents" }));
  enableZoom(map);
}

function renderMapDynamic() {
  if (!proj) return;
  for (const node of document.querySelectorAll("#map .district-label")) node.textContent = LANG === "zh" ? node.dataset.zh : node.dataset.en;
  const teams = document.getElementById("map-teams");
  teams.replaceChildren(...[...state.teams.values()].filter((tm) => tm.lat !== null && tm.lon !== null).map((team) => {
    const x = proj.x(team.lon), y = proj.y(team.lat);
    return svg("g", { class: "team status-" + team.status },
      svg("circle", { cx: x, cy: y, r: 0.17 }),
      svg("text", { x: x + 0.22, y: y + 0.1, class: "team-label" }, team.team_id.replace(/^T-/, "")),
      svg("title", {}, ((LANG === "zh" ? team.name : team.name_en) || team.team_id) + " · " + term(team.status)));
  }));
  const incidents = document.getElementById("map-incidents");
  const list = openIncidents().slice().reverse(); // most urgent drawn last (on top)
  incidents.replaceChildren(...list.map((inc) => {
    const x = proj.x(inc.lon), y = proj.y(inc.lat);
    const r = { P1: 0.42, P2: 0.36, P3: 0.3, P4: 0.26 }[inc.priority] || 0.26;
    const g = svg("g", { class: "incident prio-" + inc.priority + (state.selected === inc.incident_id ? " selected" : ""), "data-incident": inc.incident_id },
      svg("circle", { cx: x, cy: y, r: r }),
      svg("text", { x: x, y: y + 0.11, class: "incident-label" }, inc.priority),
      svg("title", {}, inc.incident_id + " · " + term(inc.category) + " · " + term(inc.status)));
    g.addEventListener("click", () => select(inc.incident_id));
    return g;
  }));
  const sel = state.selected && state.incidents.get(state.selected);
  if (sel && sel.team_id && state.teams.get(sel.team_id)) {
    const team = state.teams.get(sel.team_id);
    incidents.prepend(svg("line", { x1: proj.x(team.lon), y1: proj.y(team.lat), x2: proj.x(sel.lon), y2: proj.y(sel.lat), class: "assign-line" }));
  }
}

/* Wheel to zoom around the pointer, drag to pan, double-click to reset. */
function enableZoom(map) {
  const full = [0, 0, proj.width, proj.height];
  let view = full.slice();
  const apply = () => map.setAttribute("viewBox", view.map((v) => v.toFixed(3)).join(" "));
  const toMap = (ev) => {
    const rect = map.getBoundingClientRect();
    const scale = Math.max(view[2] / rect.width, view[3] / rect.height);
    const ox = (rect.width - view[2] / scale) / 2, oy = (rect.height - view[3] / scale) / 2;
    return [view[0] + (ev.clientX - rect.left - ox) * scale, view[1] + (ev.clientY - rect.top - oy) * scale, scale];
  };
  map.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const [mx, my] = toMap(ev);
    const f = ev.deltaY < 0 ? 0.8 : 1.25;
    const w = Math.min(full[2], Math.max(full[2] / 20, view[2] * f)), h = w * full[3] / full[2];
    view = [mx - (mx - view[0]) * (w / view[2]), my - (my - view[1]) * (h / view[3]), w, h];
    apply();
  }, { passive: false });
  let drag = null;
  map.addEventListener("mousedown", (ev) => { drag = toMap(ev); });
  window.addEventListener("mouseup", () => { drag = null; });
  map.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const [mx, my] = toMap(ev);
    view[0] -= mx - drag[0]; view[1] -= my - drag[1];
    apply();
  });
  map.addEventListener("dblclick", () => { view = full.slice(); apply(); });
}

/* ---------------------------------------------------------------- actions */

let pending = null;

function askAction(kind, inc) {
  pending = { kind, incidentId: inc.incident_id };
  document.getElementById("confirm-title").textContent = t(kind) + " · " + inc.incident_id;
  document.getElementById("confirm-text").textContent = t(kind + "_q", { id: inc.incident_id });
  const row = document.getElementById("confirm-outcome-row");
  row.classList.toggle("hidden", kind !== "resolve");
  const select = document.getElementById("confirm-outcome");
  select.replaceChildren(el("option", { value: "", text: "—" }), ...state.outcomes.map((o) => el("option", { value: o, text: term(o) })));
  document.getElementById("confirm").classList.remove("hidden");
  document.getElementById("confirm-ok").focus();
}

async function doAction(ev) {
  ev.preventDefault();
  if (!pending) return;
  const { kind, incidentId } = pending;
  pending = null;
  document.getElementById("confirm").classList.add("hidden");
  const body = {};
  const outcome = document.getElementById("confirm-outcome").value;
  if (kind === "resolve" && outcome) body.outcome = outcome;
  try {
    const res = await api("/api/incidents/" + encodeURIComponent(incidentId) + "/" + kind, {
      method: "POST", headers: Object.assign({ "Content-Type": "application/json" }, headers()), body: JSON.stringify(body),
    });
    const data = await res.json();
    toast(res.ok ? t("sent") : t("failed") + ": " + (data.message || res.status), !res.ok);
  } catch (e) {
    toast(t("failed") + ": " + e.message, true);
  }
}

function toast(text, bad) {
  const box = document.getElementById("toast");
  box.textContent = text;
  box.className = "toast" + (bad ? " bad" : "");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.add("hidden"), 4000);
}

/* ---------------------------------------------------------------- start */

/* Draw one city's map (null: the first); with several cities, a choice of city beside its name. */
async function showCity(centre) {
  const city = await api("/api/city" + (centre ? "?centre=" + encodeURIComponent(centre) : ""));
  state.city = await city.json();
  if (state.city.meta && state.city.meta.timezone) TZ = state.city.meta.timezone;
  document.getElementById("city-name").textContent = (LANG === "zh" ? state.city.meta.name_zh : state.city.meta.name) || "";
  const choice = document.getElementById("city-choice");
  const centres = state.city.centres || [];
  choice.classList.toggle("hidden", centres.length < 2);
  choice.replaceChildren(...centres.map((c) => {
    const option = document.createElement("option");
    option.value = c;
    option.textContent = c;
    option.selected = c === state.city.centre;
    return option;
  }));
  drawCity();
  scheduleRender();
}

async function start() {
  try {
    const me = await api("/api/me");
    if (!me.ok) { showLogin(t("bad_token")); return; }
    state.me = await me.json();
    if (state.me.role === "team") { location.href = "/team"; return; }
    state.outcomes = state.me.outcomes || [];
    document.getElementById("who").textContent = state.me.name + " (" + state.me.role + ")";
    document.getElementById("login").classList.add("hidden");
    await showCity(null);
    stream();
    if (typeof startCalls === "function") startCalls();
  } catch (e) {
    /* login shown by api() */
  }
}

document.addEventListener("DOMContentLoaded", () => {
  applyLabels();
  state.token = takeToken(TOKEN_KEY);
  document.getElementById("lang").addEventListener("click", () => {
    toggleLang();
    if (state.city) document.getElementById("city-name").textContent = (LANG === "zh" ? state.city.meta.name_zh : state.city.meta.name) || "";
    render();
  });
  document.getElementById("logout").addEventListener("click", () => {
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
    location.reload();
  });
  document.getElementById("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    state.token = document.getElementById("token").value.trim();
    try { sessionStorage.setItem(TOKEN_KEY, state.token); } catch (e) { /* ignore */ }
    start();
  });
  document.getElementById("city-choice").addEventListener("change", (ev) => showCity(ev.target.value));
  document.getElementById("confirm-form").addEventListener("submit", doAction);
  document.getElementById("confirm-cancel").addEventListener("click", () => { pending = null; document.getElementById("confirm").classList.add("hidden"); });
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll(".tab")) other.classList.toggle("active", other === tab);
      for (const pane of document.querySelectorAll(".tabpane")) pane.classList.toggle("hidden", pane.id !== "tab-" + tab.dataset.tab);
    });
  }
  setInterval(() => { if (state.city) { renderHeader(); renderIncidents(); } }, 1000);
  if (state.token) start(); else showLogin("");
});
