/* Call-taking form, "needs attention" queue and partner notices on the dispatch console.
   Every call and every corrected dead letter is posted to the API, which writes an ordinary
   tip on `tips`; the new incident is opened when it comes back from the desk. */
"use strict";

const calls = {
  options: null,
  attention: { open: 0, items: [], resolved_items: [] },
  letter: null,      // the dead letter being corrected, or null for a new call
  position: null,    // {lat, lon} clicked on the map
  picking: false,
  waitFor: null,     // tip id whose incident to open when it arrives
  notices: new Map(), // incident id -> notice id -> notice summary (from the API and live events)
};

function bi(zh, en) { return LANG === "zh" ? zh : en; }

/* "unresponsive" is also a team status; the flag has its own word. */
function flagTerm(flag) { return flag === "unresponsive" ? term("unresponsive_flag") : term(flag); }

function node(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(shownText(c)));
  return e;
}

async function postJson(path, body) {
  const res = await api(path, { method: "POST", headers: Object.assign(headers(), { "Content-Type": "application/json" }), body: JSON.stringify(body) });
  let data = {};
  try { data = await res.json(); } catch (e) { /* empty */ }
  return { ok: res.ok, status: res.status, data };
}

/* ------------------------------------------------------------ the form */

function formBody() {
  const body = {};
  const address = document.getElementById("call-address").value.trim();
  if (address) body.address = address;
  if (calls.position) { body.lat = calls.position.lat; body.lon = calls.position.lon; }
  body.channel = document.getElementById("call-channel").value;
  const text = document.getElementById("call-text").value.trim();
  if (text) body.text = text;
  const flags = [...document.querySelectorAll("#call-flags input:checked")].map((i) => i.value);
  if (flags.length) body.flags = flags;
  const persons = document.getElementById("call-persons").value;
  if (persons) body.persons = Number(persons);
  const contact = document.getElementById("call-contact").value.trim();
  if (contact) body.reporter_contact = contact;
  if (calls.letter && calls.letter.original && calls.letter.original.reported_at && calls.keepTime) body.reported_at = calls.letter.original.reported_at;
  return body;
}

function showPreview(p) {
  const box = document.getElementById("call-preview");
  box.replaceChildren(
    node("div", { class: "preview-line" }, node("strong", { id: "preview-priority" }, p.priority), " ",
      node("span", { id: "preview-category" }, term(p.category)), " · ", p.district || ""),
    node("div", {}, bi("规则 ", "rules ") + p.rules.join(", ")),
    node("div", {}, bi("通报 ", "notify ") + (p.notify.length ? p.notify.join(", ") : "-")),
    node("div", {}, bi("情形 ", "flags ") + (p.flags.length ? p.flags.map(flagTerm).join(", ") : "-")),
    node("div", { class: "muted" }, p.action));
}

async function preview() {
  document.getElementById("call-error").textContent = "";
  const r = await postJson("/api/calls/preview", formBody());
  if (!r.ok) { document.getElementById("call-error").textContent = r.data.message || ("HTTP " + r.status); return null; }
  showPreview(r.data.preview);
  return r.data.preview;
}

async function send(ev) {
  ev.preventDefault();
  document.getElementById("call-error").textContent = "";
  const path = calls.letter ? "/api/attention/" + encodeURIComponent(calls.letter.id) + "/resubmit" : "/api/calls";
  const r = await postJson(path, formBody());
  if (!r.ok) { document.getElementById("call-error").textContent = r.data.message || ("HTTP " + r.status); return; }
  calls.waitFor = r.data.tip_id;
  toast(bi("已发送，等待派单：", "Sent, waiting for dispatch: ") + r.data.tip_id);
  closeForm();
  openWaited();
  loadAttention();
}

function openForm(letter) {
  calls.letter = letter || null;
  calls.position = null;
  calls.keepTime = false;
  document.getElementById("call-form").reset();
  document.getElementById("call-preview").replaceChildren();
  document.getElementById("call-error").textContent = "";
  document.getElementById("call-places").replaceChildren();
  document.getElementById("call-position").textContent = "";
  const original = document.getElementById("call-original");
  document.getElementById("call-title").textContent = letter ? bi("更正并重新提交", "Correct and resubmit") : bi("新来电", "New call");
  if (letter) {
    original.classList.remove("hidden");
    original.textContent = shownText(letter.reason + "\n" + letter.payload);
    const o = letter.original || {};
    if (typeof o.address === "string") document.getElementById("call-address").value = o.address;
    if (typeof o.text === "string") document.getElementById("call-text").value = o.text;
    if (typeof o.persons === "number") document.getElementById("call-persons").value = o.persons;
    if (typeof o.reporter_contact === "string") document.getElementById("call-contact").value = o.reporter_contact;
    const channel = calls.options.channels.find((c) => c.id === o.channel || c.zh === o.channel);
    if (channel) document.getElementById("call-channel").value = channel.id;
    for (const box of document.querySelectorAll("#call-flags input")) box.checked = Array.isArray(o.flags) && o.flags.includes(box.value);
    calls.keepTime = letter.error !== "invalid" && typeof o.reported_at === "string";
  } else {
    original.classList.add("hidden");
  }
  document.getElementById("call").classList.remove("hidden");
  document.getElementById("call-address").focus();
}

function closeForm() {
  document.getElementById("call").classList.add("hidden");
  setPicking(false);
}

function setPicking(on) {
  calls.picking = on;
  document.getElementById("map").classList.toggle("picking", on);
}

/* The map's SVG user units are km from the service area's north-west corner (app.js makeProjection). */
function mapClick(ev) {
  if (!calls.picking || !state.city) return;
  const map = document.getElementById("map");
  const pt = map.createSVGPoint();
  pt.x = ev.clientX; pt.y = ev.clientY;
  const p = pt.matrixTransform(map.getScreenCTM().inverse());
  const area = state.city.meta.service_area;
  const lat0 = ((area.lat_min + area.lat_max) / 2) * Math.PI / 180;
  const lon = area.lon_min + p.x / (111.32 * Math.cos(lat0));
  const lat = area.lat_max - p.y / 110.57;
  calls.position = { lat: Math.round(lat * 1e6) / 1e6, lon: Math.round(lon * 1e6) / 1e6 };
  document.getElementById("call-position").textContent = calls.position.lat.toFixed(5) + ", " + calls.position.lon.toFixed(5);
  setPicking(false);
  ev.stopPropagation();
  preview();
}

let suggestTimer = null;
function suggest() {
  clearTimeout(suggestTimer);
  suggestTimer = setTimeout(async () => {
    const q = document.getElementById("call-address").value.trim();
    const list = document.getElementById("call-places");
    if (!q) { list.replaceChildren(); return; }
    const res = await api("/api/gazetteer?q=" + encodeURIComponent(q));
    if (!res.ok) return;
    const data = await res.json();
    list.replaceChildren(...data.places.map((p) => node("li", {
      onclick: () => {
        document.getElementById("call-address").value = p.name;
        calls.position = null;
        document.getElementById("call-position").textContent = p.lat.toFixed(5) + ", " + p.lon.toFixed(5);
        list.replaceChildren();
        preview();
      },
    }, p.name + (p.aliases.length ? " · " + p.aliases[0] : ""))));
  }, 200);
}

/* ------------------------------------------------------------ attention queue */

async function loadAttention() {
  const res = await api("/api/attention");
  if (!res.ok) return;
  calls.attention = await res.json();
  renderAttention();
}

function renderAttention() {
  const a = calls.attention;
  document.getElementById("attention-count").textContent = a.open;
  document.getElementById("attention-open").textContent = a.open;
  const list = document.getElementById("attention");
  list.replaceChildren(...a.items.map((item) => {
    const reasonInput = node("input", { type: "text", maxlength: "200", placeholder: bi("忽略理由", "reason to dismiss"), class: "dismiss-reason" });
    return node("li", { class: "attention-item", "data-letter": item.id },
      node("div", { class: "reason" }, item.reason),
      node("div", { class: "muted" }, item.hint),
      node("pre", {}, item.payload),
      node("div", { class: "buttons" },
        node("button", { type: "button", class: "primary correct", onclick: () => openForm(item) }, bi("更正", "Correct")),
        reasonInput,
        node("button", { type: "button", class: "dismiss", onclick: () => dismiss(item, reasonInput.value) }, bi("忽略", "Dismiss"))));
  }));
  if (!a.items.length) list.append(node("li", { class: "empty" }, bi("没有待处理的报告", "Nothing needs attention")));
  list.append(node("li", { class: "muted", id: "attention-totals" },
    bi("已处理 ", "dealt with ") + a.resolved + bi("；其他数据的死信 ", "; dead letters of other inputs ") + a.other_dead_letters));
}

async function dismiss(item, reason) {
  const r = await postJson("/api/attention/" + encodeURIComponent(item.id) + "/dismiss", { reason: reason });
  if (!r.ok) { toast(r.data.message || ("HTTP " + r.status), true); return; }
  toast(bi("已忽略", "Dismissed"));
  loadAttention();
}

/* ------------------------------------------------------------ incident detail and notices */

function openWaited() {
  if (!calls.waitFor) return;
  for (const inc of state.incidents.values()) {
    if ((inc.sources || []).includes(calls.waitFor)) {
      calls.waitFor = null;
      if (state.selected !== inc.incident_id) select(inc.incident_id);
      return;
    }
  }
}

function addNotice(n) {
  if (!calls.notices.has(n.incident_id)) calls.notices.set(n.incident_id, new Map());
  calls.notices.get(n.incident_id).set(n.notice_id, n);
}

async function onSelect(incidentId) {
  renderDetail();
  if (!incidentId) return;
  const res = await api("/api/incidents/" + encodeURIComponent(incidentId) + "/notices");
  if (res.ok) for (const n of (await res.json()).notices) addNotice(n); // merged: a live notice may have come first
  renderDetail();
}

function renderDetail() {
  const box = document.getElementById("incident-detail");
  const inc = state.selected && state.incidents.get(state.selected);
  if (!inc) { box.classList.add("hidden"); return; }
  box.classList.remove("hidden");
  const notices = [...(calls.notices.get(inc.incident_id) || new Map()).values()].sort((a, b) => String(a.at).localeCompare(String(b.at)));
  box.replaceChildren(
    node("h2", {}, bi("事件 ", "Incident ") + inc.incident_id),
    node("div", { id: "detail-summary" }, inc.priority + " · " + term(inc.category) + " · " + bi("队伍 ", "team ") + (inc.team_id || "-") + " · " + term(inc.status)),
    node("div", {}, bi("来源 ", "sources ") + (inc.sources || []).join(", ")),
    node("h3", {}, bi("合作单位通报", "Partner notices")),
    node("ul", { id: "detail-notices" }, ...(notices.length ? notices.map((n) => node("li", { class: "notice", "data-partner": n.partner },
      n.partner + " · " + n.msg_type + " · " + n.status + " · " + n.address)) : [node("li", { class: "muted" }, "-")])));
  if (typeof commandPanel === "function") box.append(commandPanel(inc)); // commands.js: operators in control
}

function onExtraEvent(event, payload) {
  if (typeof onCommandEvent === "function") onCommandEvent(event, payload); // commands.js: the desk's answers
  if (event === "attention") {
    loadAttention();
  } else if (event === "notice") {
    addNotice(payload);
    if (payload.incident_id === state.selected) renderDetail();
  } else if (event === "incident") {
    openWaited();
    if (payload.incident_id === state.selected) renderDetail();
  }
}

/* ------------------------------------------------------------ start */

async function startCalls() {
  const res = await api("/api/calls/options");
  if (!res.ok) return;
  calls.options = await res.json();
  document.getElementById("call-channel").replaceChildren(...calls.options.channels.map((c) => node("option", { value: c.id }, c.zh + " " + c.id)));
  document.getElementById("call-flags").replaceChildren(node("legend", {}, bi("情形", "Flags")), ...calls.options.flags.map((f) =>
    node("label", {}, node("input", { type: "checkbox", value: f, name: "flag" }), " " + flagTerm(f))));
  document.getElementById("call-persons").max = calls.options.max_persons;
  loadAttention();
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("new-call").addEventListener("click", () => openForm(null));
  document.getElementById("attention-btn").addEventListener("click", () => document.querySelector('.tab[data-tab="attention"]').click());
  document.getElementById("call-cancel").addEventListener("click", closeForm);
  document.getElementById("call-check").addEventListener("click", preview);
  document.getElementById("call-form").addEventListener("submit", send);
  document.getElementById("call-pick").addEventListener("click", () => setPicking(!calls.picking));
  document.getElementById("call-address").addEventListener("input", suggest);
  document.getElementById("map").addEventListener("click", mapClick, true);
});
