/* Chinese and English labels for the console and the team page (no external resources). */
"use strict";

const I18N = {
  zh: {
    title: "寒冬救助调度台", team_title: "巡查队任务", now: "当前时间", connection: "连接", logout: "退出",
    incidents: "事件", priority: "等级", incident: "事件", category: "类别", rules: "规则", sources: "来源",
    team: "队伍", deadline: "确认时限", escalation: "升级", actions: "操作", no_incidents: "暂无待处理事件",
    map: "地图", legend_incident: "事件", legend_team: "队伍", legend_help: "求助点", legend_key: "重点区域",
    queued: "待派(无空闲队伍)", teams: "队伍", closed: "已结束", login_title: "登录", token: "访问令牌",
    login: "登录", outcome: "结果", cancel: "取消", confirm: "确认", reassign: "改派", resolve: "结案",
    reassign_q: "把事件 {id} 改派给下一支最近的可用队伍？", resolve_q: "把事件 {id} 标记为已解决？",
    sent: "已提交，等待流水线处理", failed: "提交失败", overdue: "超时", no_deadline: "—", unassigned: "未派",
    none: "无", night: "夜间", day: "白天", wind_chill: "风寒", severe_cold: "严寒", level: "寒潮",
    bad_token: "令牌无效", no_tasks: "暂无任务", accept: "接受", on_scene: "已到场", resolved_btn: "完成",
    decline: "拒绝", navigate: "导航", help_point: "最近求助点", persons: "人数", flags: "标记", text: "描述",
    action: "处置", history: "经过", confidence: "可信度", status: "状态", notify: "通知", refresh: "刷新",
    escalated_to: "已升级至", queued_since: "排队自", district: "区", updated: "更新", at_base: "驻地",
    reason: "原因", demo: "演示数据，非官方地图", conditions_label: "寒潮 · 昼夜 · 风寒温度",

    // team phone
    on_scene_found: "现场情况（标记、人数）", send_found: "发送现场情况", nothing_changed: "没有变化",
    outbox: "未发送", outbox_hint: "无信号时操作保存在手机上，恢复连接后按顺序自动发送。", waiting_signal: "等待信号",
    sending: "发送中", refused: "被拒绝", offline: "离线", online: "在线", live: "实时", polling: "轮询",
    new_task: "新任务", task_changed: "任务有变化", task_withdrawn: "任务已撤回", dismiss: "知道了",
    my_status: "队伍状态", share_position: "共享位置", stop_sharing: "停止共享",
    position_sent: "位置已发送", position_refused: "位置被拒绝", no_gps: "无法定位", consent_q: "执勤期间按策略间隔向调度台共享本机位置？",
    destination: "送往", target: "目标位置", map_btn: "地图", other_app: "其他地图", amap: "高德", baidu: "百度", tencent: "腾讯",
    left: "剩余", screen_awake: "屏幕常亮", night_theme: "夜间", day_theme: "日间", you: "本队", queued_at: "操作时间",
    sound_on: "点击任意处开启提示音", offline_note: "离线：显示的是最后收到的任务",
    err_not_your_task: "该任务已不属于本队", err_task_not_found: "找不到该任务", err_incident_closed: "事件已结束", err_task_superseded: "该任务已被新任务取代",
    err_stale_fix: "定位过旧", err_future_fix: "定位时间超前", err_poor_accuracy: "定位精度不足", err_impossible_jump: "位置跳变异常",
    err_out_of_order: "定位早于上一次", err_no_position: "尚无位置", err_client_id_conflict: "操作编号冲突",
    known_file: "已建档", likely_file: "可能是", confirm_file: "确认是此人", sweeps: "主动排查", sweep_found: "找到人", sweep_not_found: "未找到", sweep_note: "备注(遇到谁、做了什么)",
  },
  en: {
    title: "Winter rescue dispatch", team_title: "Patrol team tasks", now: "Now", connection: "Connection", logout: "Log out",
    incidents: "Incidents", priority: "Pri.", incident: "Incident", category: "Category", rules: "Rules", sources: "Sources",
    team: "Team", deadline: "Ack deadline", escalation: "Escalation", actions: "Actions", no_incidents: "No open incidents",
    map: "Map", legend_incident: "incident", legend_team: "team", legend_help: "help point", legend_key: "key area",
    queued: "Queued (no free team)", teams: "Teams", closed: "Closed", login_title: "Sign in", token: "Access token",
    login: "Sign in", outcome: "Outcome", cancel: "Cancel", confirm: "Confirm", reassign: "Reassign", resolve: "Resolve",
    reassign_q: "Reassign incident {id} to the next-nearest able team?", resolve_q: "Mark incident {id} resolved?",
    sent: "Sent; waiting for the pipeline", failed: "Failed", overdue: "overdue", no_deadline: "—", unassigned: "none",
    none: "none", night: "night", day: "day", wind_chill: "wind chill", severe_cold: "severe cold", level: "cold wave",
    bad_token: "Invalid token", no_tasks: "No tasks", accept: "Accept", on_scene: "On scene", resolved_btn: "Resolve",
    decline: "Decline", navigate: "Navigate", help_point: "Nearest help point", persons: "Persons", flags: "Flags", text: "Text",
    action: "Action", history: "History", confidence: "Confidence", status: "Status", notify: "Notify", refresh: "Refresh",
    escalated_to: "escalated to", queued_since: "queued since", district: "District", updated: "updated", at_base: "at base",
    reason: "Reason", demo: "Demo data, not an official map", conditions_label: "Cold wave · night · wind chill",

    // team phone
    on_scene_found: "Found on scene (flags, head count)", send_found: "Send what we found", nothing_changed: "Nothing changed",
    outbox: "Not yet sent", outbox_hint: "Without signal, actions stay on the phone and go out in order when the connection returns.", waiting_signal: "waiting for signal",
    sending: "sending", refused: "refused", offline: "offline", online: "online", live: "live", polling: "polling",
    new_task: "New task", task_changed: "Task changed", task_withdrawn: "Task withdrawn", dismiss: "Dismiss",
    my_status: "Team status", share_position: "Share position", stop_sharing: "Stop sharing",
    position_sent: "Position sent", position_refused: "Position refused", no_gps: "No position", consent_q: "Share this phone's position with the dispatch desk while on duty, at the policy's interval?",
    destination: "Take to", target: "Target", map_btn: "Map", other_app: "Other app", amap: "Amap", baidu: "Baidu", tencent: "Tencent",
    left: "left", screen_awake: "Screen awake", night_theme: "Night", day_theme: "Day", you: "us", queued_at: "made at",
    sound_on: "Tap anywhere to enable the alert sound", offline_note: "Offline: showing the last tasks received",
    err_not_your_task: "the task is no longer this team's", err_task_not_found: "task not found", err_incident_closed: "incident closed", err_task_superseded: "replaced by a newer task",
    err_stale_fix: "fix too old", err_future_fix: "fix time ahead", err_poor_accuracy: "fix not accurate enough", err_impossible_jump: "impossible jump",
    err_out_of_order: "fix older than the last", err_no_position: "no position yet", err_client_id_conflict: "action id conflict",
    known_file: "Known file", likely_file: "Likely file", confirm_file: "Confirm: this is the person", sweeps: "Sweep", sweep_found: "Found someone", sweep_not_found: "Nobody there", sweep_note: "Note (whom you met, what you did)",
  },
};

const TERMS = {
  zh: {
    medical: "医疗救助", escort_station: "护送入站", rescue_first: "先救后核", supplies_followup: "送物资回访",
    basic_support: "基本生活救助", guidance: "劝导引导", welfare_check: "核查(热成像)",
    dispatch: "派遣", update: "更新", queued: "排队", escalation: "升级", followup: "回访", resolved: "已解决",
    support: "支援单元", merged: "已合并", unit_timer: "单元超时", eta: "按到达时间", diversion: "改派", no_demotion: "未到场不降级",
    snow: "降雪", merge: "合并", queue_deadline: "排队时限",
    new: "新", assigned: "已派", accepted: "已接受", on_scene: "已到场", followup_due: "待回访", open: "处理中",
    available: "空闲", en_route: "途中", off_duty: "下班", break: "休息", unresponsive: "未响应", unknown: "未知",
    blue: "蓝色", yellow: "黄色", orange: "橙色", red: "红色",
    night: "夜间", severe_cold: "严寒", elderly: "老人", male: "男", female: "女", adult: "成年人", child: "儿童", intoxicated: "醉酒", lying_still: "静卧",
    key_area: "重点区域", corroborated: "多源印证", cold_wave: "寒潮", cold_wave_floor: "寒潮保底",
    unresponsive_flag: "无反应", injured: "受伤", ill: "患病", mental: "疑似精神障碍", minor: "未成年人",
    disabled: "残疾", immobile: "行动不便", no_id: "无身份信息", refuses: "拒绝入站", domestic_violence: "家暴",
    migrant_worker: "务工不着", robbed: "被盗被抢",
    underpass: "地下通道", bridge: "桥下", station: "车站", park: "公园", market: "市场", heating_vent: "供热井",
    construction: "工地", supervisor: "值班主任", leader_on_duty: "带班领导", police: "公安", health: "卫健",
    social_work: "社工", vehicle: "车辆", city_management: "城管", referral: "夜后转介",
    hotline: "热线", wechat: "公众号", courier: "快递员", sanitation: "环卫", driver: "司机", security: "保安",
    volunteer: "志愿者", citizen: "市民", thermal: "热成像",
    taken_to_hospital: "送医", taken_to_station: "送站", guided_to_help_point: "引导至求助点", returned_home: "送返",
    supplies_given: "已送物资", refused_supplies_given: "拒绝入站/已送物资", refused: "拒绝", not_found: "未找到", found: "找到人",
    false_alarm: "误报", escorted_to_station: "已护送入站",
    help_point: "求助点", warm_up_site: "取暖点", rescue_station: "救助站", hospital: "医院",
  },
  en: {
    medical: "medical", escort_station: "escort to station", rescue_first: "rescue first", supplies_followup: "supplies + follow-up",
    basic_support: "basic support", guidance: "guidance", welfare_check: "welfare check",
    dispatch: "dispatch", update: "update", queued: "queued", escalation: "escalation", followup: "follow-up", resolved: "resolved",
    support: "support unit", merged: "merged", unit_timer: "unit timer", eta: "by ETA", diversion: "diversion",
    no_demotion: "not demoted", snow: "snow", merge: "merge", queue_deadline: "queue deadline",
    new: "new", assigned: "assigned", accepted: "accepted", on_scene: "on scene", followup_due: "follow-up due", open: "open",
    available: "available", en_route: "en route", off_duty: "off duty", break: "break", unresponsive: "unresponsive", unknown: "unknown",
    blue: "blue", yellow: "yellow", orange: "orange", red: "red",
    night: "night", severe_cold: "severe cold", elderly: "elderly", male: "male", female: "female", adult: "adult", child: "child", intoxicated: "intoxicated", lying_still: "lying still",
    key_area: "key area", corroborated: "corroborated", cold_wave: "cold wave", cold_wave_floor: "cold-wave floor",
    unresponsive_flag: "unresponsive", injured: "injured", ill: "ill", mental: "mental", minor: "minor",
    disabled: "disabled", immobile: "immobile", no_id: "no ID", refuses: "refuses", domestic_violence: "domestic violence",
    migrant_worker: "out of work", robbed: "robbed",
    underpass: "underpass", bridge: "bridge", station: "station", park: "park", market: "market", heating_vent: "heating vent",
    construction: "construction", supervisor: "supervisor", leader_on_duty: "leader on duty", police: "police", health: "health",
    social_work: "social work", vehicle: "vehicle", city_management: "city management", referral: "referral after the night",
    hotline: "hotline", wechat: "WeChat", courier: "courier", sanitation: "sanitation", driver: "driver", security: "guard",
    volunteer: "volunteer", citizen: "citizen", thermal: "thermal",
    taken_to_hospital: "taken to hospital", taken_to_station: "taken to station", guided_to_help_point: "guided to help point",
    returned_home: "returned home", supplies_given: "supplies given", refused_supplies_given: "refused, supplies given",
    refused: "refused", not_found: "not found", found: "found", false_alarm: "false alarm", escorted_to_station: "escorted to station",
    help_point: "help point", warm_up_site: "warm-up site", rescue_station: "rescue station", hospital: "hospital",
  },
};

let LANG = (function () {
  try { return localStorage.getItem("patrol.lang") || "zh"; } catch (e) { return "zh"; }
})();

function t(key, vars) {
  let s = (I18N[LANG] && I18N[LANG][key]) || I18N.en[key] || key;
  if (vars) for (const k of Object.keys(vars)) s = s.replace("{" + k + "}", vars[k]);
  return s;
}

/* A domain term (category, status, flag, rule like "cold_wave:orange"), translated part by part. */
function term(value) {
  if (value === null || value === undefined) return "";
  const s = String(value);
  const dict = TERMS[LANG] || TERMS.en;
  if (s.includes(":")) {
    const [head, tail] = s.split(/:(.*)/s);
    return (dict[head] || head) + ":" + (dict[tail] || tail);
  }
  return dict[s] || s;
}

function applyLabels() {
  document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
  const btn = document.getElementById("lang");
  if (btn) btn.textContent = LANG === "zh" ? "English" : "中文";
}

function toggleLang() {
  LANG = LANG === "zh" ? "en" : "zh";
  try { localStorage.setItem("patrol.lang", LANG); } catch (e) { /* private mode */ }
  applyLabels();
}

/* Token: from the URL fragment (#token=...) once, then from this tab's session storage. */
function takeToken(storageKey) {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    try { sessionStorage.setItem(storageKey, decodeURIComponent(m[1])); } catch (e) { /* ignore */ }
    history.replaceState(null, "", location.pathname + location.search);
  }
  try { return sessionStorage.getItem(storageKey) || ""; } catch (e) { return ""; }
}

/* Bidirectional controls and invisible format characters in someone's text (a failed tip, a file's notes) are shown
   as their code point, "⟨U+202E⟩": an unclosed right-to-left override showed the rest of the line backwards, fields
   beside it included, and a zero-width one hid a difference. Each element is an isolate too (style.css). */
const INVISIBLE = /[\u061C\u180E\u200B\u200E\u200F\u2028-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/g;

function shownText(value) {
  return String(value).replace(INVISIBLE, (ch) => "⟨U+" + ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0") + "⟩");
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = shownText(v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : shownText(c));
  return node;
}

/* The city's time zone (city.json), so times read as local time on any operator PC. */
let TZ = "Asia/Shanghai";

function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleTimeString(LANG === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: TZ });
}

function fmtDuration(ms) {
  const neg = ms < 0;
  let s = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(s / 3600); s -= h * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  const body = (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
  return (neg ? "-" : "") + body;
}
