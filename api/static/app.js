// EntryWatch operators' dashboard: live open flags, acknowledge/resolve, entries, declarations,
// camera health. No framework, nothing loaded from the internet. All text goes in via
// textContent (plates come from OCR, notes from people).
"use strict";
const KEY_STORAGE = "entrywatch.key";
const t = (key, vars) => ewI18n.t(key, vars);
const $ = (sel) => document.querySelector(sel);

const state = {
  flags: new Map(), // id -> flag
  flagFilter: { status: "open", reason: "", checkpoint: "", camera_id: "", plate: "" },
  nextOffset: null, // the next page of the priority order (sort=priority pages by offset)
  entriesOffset: 0, declarationsOffset: 0,
  images: new Map(), // evidence id -> blob URL (or a pending promise)
  streamAbort: null,
  arrivals: {}, // flag id -> Date.now() when the stream delivered it (read by the benchmarks)
  openCount: null, // open flags in the store (/api/stats/open-flags)
  alerts: [], // {flag_id, priority, tone, notified}: what the dashboard did on each new flag
  sound: localStorage.getItem("entrywatch.sound") !== "off",
  loads: { flags: 0, entries: 0 },
  chart: null,
};
window.entrywatch = state;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("data-")) node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
}

// --- API access --------------------------------------------------------------------------------

function apiKey() { return sessionStorage.getItem(KEY_STORAGE); }

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}), "X-API-Key": apiKey() || "" };
  const resp = await fetch(path, { ...options, headers });
  if (resp.status === 401) { askKey(true); throw new Error(t("key.invalid")); }
  if (!resp.ok) {
    let detail = resp.statusText;
    try { detail = describe((await resp.json()).detail); } catch (_) { /* not JSON */ }
    throw new Error(`${resp.status}: ${detail}`);
  }
  return resp.status === 204 ? null : resp.json();
}

// A CSV export: the same list route asked for text/csv, saved under the server's file name.
async function downloadCsv(path) {
  const resp = await fetch(path, { headers: { "X-API-Key": apiKey() || "", Accept: "text/csv" } });
  if (resp.status === 401) { askKey(true); throw new Error(t("key.invalid")); }
  if (!resp.ok) throw new Error(`${resp.status}: ${resp.statusText}`);
  const name = /filename="([^"]+)"/.exec(resp.headers.get("Content-Disposition") || "");
  const url = URL.createObjectURL(await resp.blob());
  const link = el("a", { href: url, download: name ? name[1] : "entrywatch.csv" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function describe(detail) {
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return String(detail);
}

function showError(err) {
  const box = $("#error");
  box.textContent = err ? String(err.message || err) : "";
  box.hidden = !err;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v != null) q.set(k, v);
  return q.toString();
}

function localToIso(value) {
  return value ? new Date(value).toISOString() : "";
}

// --- key dialog --------------------------------------------------------------------------------

function askKey(invalid = false) {
  const dialog = $("#key-dialog");
  $("#live").hidden = true; // no red "disconnected" badge behind the key dialog
  $("#key-error").hidden = !invalid;
  if (!dialog.open) dialog.showModal();
}

$("#key-form").addEventListener("submit", () => {
  sessionStorage.setItem(KEY_STORAGE, $("#key-input").value.trim());
  $("#key-input").value = "";
  start();
});

// --- evidence ----------------------------------------------------------------------------------

// An evidence id as the matcher accepts it (pipeline.events.EVIDENCE_ID): CAMERA/NAME.jpg. Any
// other stored id (from before that check) is not fetched: "../" segments would reach other routes.
const EVIDENCE_ID = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*\/[A-Za-z0-9_.-]+\.jpg$/;

async function evidenceUrl(id) {
  if (!EVIDENCE_ID.test(id) || id.split("/").includes("..")) return null;
  if (!state.images.has(id)) {
    state.images.set(id, fetch(`/api/evidence/${id.split("/").map(encodeURIComponent).join("/")}`,
      { headers: { "X-API-Key": apiKey() || "" } })
      .then((r) => (r.ok ? r.blob() : null))
      .then((b) => (b ? URL.createObjectURL(b) : null))
      .catch(() => null));
  }
  return state.images.get(id);
}

// --- flags -------------------------------------------------------------------------------------

// The matcher's confusion classes (store.plates.CONFUSION_CLASSES; a test keeps them equal): a
// plate search matches look-alikes, on the server and for flags arriving over the stream alike.
const CONFUSION_CLASSES = ["0ODQ", "17IT", "2Z", "5S", "6G", "8B"];
const CONFUSION = Object.fromEntries(CONFUSION_CLASSES.flatMap((g) => [...g].map((c) => [c, g[0]])));
function confusionKey(text) {
  return [...String(text || "").toUpperCase()].filter((c) => /[A-Z0-9]/.test(c))
    .map((c) => CONFUSION[c] || c).join("");
}

function flagVisible(flag) {
  const f = state.flagFilter;
  return (!f.status || flag.status === f.status) && (!f.reason || flag.reason === f.reason)
    && (!f.checkpoint || flag.checkpoint === f.checkpoint)
    && (!f.camera_id || flag.camera_id === f.camera_id)
    && (!f.plate || (flag.plate != null && confusionKey(flag.plate).startsWith(confusionKey(f.plate))));
}

// The matcher's reason (flag.detail, English) said in the page's language with its facts: the
// declaration's number, its window's end, its checkpoints, the plate. Unknown wording: as it is.
const DETAIL_WORDS = [
  [/^no declaration for (\w+)(?: \(near misses not valid here: ([^)]+)\))?(?:; read confidence ([\d.]+) < ([\d.]+))?(?:; a declaration filed by (\S+) resolves it)?$/,
    (m) => t("why.undeclared", { plate: m[1] }) + (m[2] ? ` ${t("why.near_misses", { plates: m[2] })}` : "")
      + (m[3] ? ` ${t("why.low_confidence", { c: m[3], min: m[4] })}` : "")
      + (m[5] ? ` ${t("why.deadline", { at: ewI18n.time(m[5]) })}` : "")],
  [/^declaration #(\d+) expired at (\S+)$/,
    (m) => t("why.expired", { id: m[1], at: ewI18n.time(m[2]) })],
  [/^declaration #(\d+) is not valid until (\S+)$/,
    (m) => t("why.not_yet", { id: m[1], at: ewI18n.time(m[2]) })],
  [/^declaration #(\d+) is for (.*), not (.+)$/,
    (m) => t("why.wrong_checkpoint", { id: m[1], allowed: m[2] || t("decl.any"), here: m[3] })],
  [/^read (\w+), declaration #(\d+) is for (\w+)(?: \(also near: ([^)]+)\))?(?:; read confidence ([\d.]+) < ([\d.]+))?$/,
    (m) => t("why.probable", { read: m[1], id: m[2], plate: m[3] })
      + (m[4] ? ` ${t("why.also_near", { plates: m[4] })}` : "")
      + (m[5] ? ` ${t("why.low_confidence", { c: m[5], min: m[6] })}` : "")],
  [/^no plate could be read at (.+)$/, (m) => t("why.unreadable", { checkpoint: m[1] })],
  [/^plate (\w+) is on the watch list(?:; (.*))?$/,
    (m) => t("why.watchlisted", { plate: m[1] }) + (m[2] ? ` ${reasonWords(m[2])}` : "")],
];

function reasonWords(detail) {
  for (const [pattern, words] of DETAIL_WORDS) {
    const m = pattern.exec(detail || "");
    if (m) return words(m);
  }
  return detail || "";
}

function priorityBadge(priority) {
  return el("span", { class: `priority p${priority}`, "data-testid": "priority",
    text: t(`priority.${priority}`) });
}

function photo(id, className, alt) {
  const box = el("div", { class: `nophoto ${className}`, text: id ? "" : t("photo.none") });
  if (id) {
    evidenceUrl(id).then((url) => {
      if (url) box.replaceWith(el("img", { src: url, alt, class: className }));
      else box.textContent = t("photo.missing");
    });
  }
  return box;
}

function flagCard(flag, fresh) {
  const alt = flag.plate_display || flag.plate || "";
  const actions = el("div", { class: "actions" });
  if (flag.status === "open") {
    actions.append(el("button", { type: "button", text: t("act.ack"), "data-action": "ack",
      "data-needs-role": "operator" }));
  }
  if (flag.status !== "resolved") {
    actions.append(el("button", { type: "button", text: t("act.resolve"), class: "primary",
      "data-action": "resolve", "data-needs-role": "operator" }));
  }
  actions.append(el("button", { type: "button", text: t("act.details"), "data-action": "detail" }));
  actions.append(el("button", { type: "button", text: t("act.audit"), "data-action": "audit" }));
  const outcome = flag.resolution ? ` — ${t(`outcome.${flag.resolution.outcome}`)}` : "";
  return el("article", {
    class: `card ${flag.status} prio-${flag.priority}${fresh ? " fresh" : ""}`,
    "data-flag-id": String(flag.flag_id), "data-testid": "flag",
  },
  el("div", { class: "photos", "data-action": "detail" },
    photo(flag.evidence.vehicle_snapshot, "vehicle", alt),
    photo(flag.evidence.plate_crop, "plate-thumb", alt)),
  el("div", {},
    el("div", { class: "card-head" },
      el("span", { class: "plate", text: flag.plate_display || flag.plate || "—" }),
      priorityBadge(flag.priority)),
    el("div", { class: "reason", text: t(`reason.${flag.reason}`) }),
    el("div", { class: "why", "data-testid": "why", text: reasonWords(flag.detail) }),
    el("div", { class: "meta", text: `${flag.camera_id} · ${flag.checkpoint}` }),
    el("div", { class: "meta", text: ewI18n.time(flag.crossed_at) }),
    el("div", { class: "meta status", text: t(`status.${flag.status}`) + outcome })),
  actions);
}

// Most urgent first, then the newest crossing.
function byPriorityThenTime(a, b) {
  return (b.priority - a.priority) || (Date.parse(b.crossed_at) - Date.parse(a.crossed_at))
    || (b.flag_id - a.flag_id);
}

function renderFlags(freshId) {
  const list = $("#flag-list");
  const flags = [...state.flags.values()].filter(flagVisible).sort(byPriorityThenTime);
  list.replaceChildren(...flags.map((f) => flagCard(f, f.flag_id === freshId)));
  if (!flags.length) list.append(emptyState(state.flagFilter.plate));
  $("#flags-more").hidden = state.nextOffset == null;
}

// "Nothing found for 30K" after a search, "nothing to show" otherwise.
function emptyState(searched) {
  return el("p", { class: "empty", "data-testid": "empty",
    text: searched ? t("search.none", { q: searched }) : t("empty") });
}

// The server sorts (sort=priority): the first 200 are the store's most urgent, not the newest 200
// sorted here, so an older critical flag is never left out of the list.
async function loadFlags(more = false) {
  const params = { ...state.flagFilter, sort: "priority", limit: 200 };
  if (more && state.nextOffset) params.offset = state.nextOffset;
  const page = await api(`/api/flags?${query(params)}`);
  if (!more) state.flags.clear();
  for (const f of page.items) state.flags.set(f.flag_id, f);
  state.nextOffset = page.next_offset;
  renderFlags();
  state.loads.flags += 1; // tests wait on these: the list now shows this query's answer
}

function upsertFlag(flag) {
  const known = state.flags.has(flag.flag_id);
  state.arrivals[flag.flag_id] ??= Date.now();
  state.flags.set(flag.flag_id, flag);
  if (flagVisible(flag) || known) renderFlags(known ? null : flag.flag_id);
  if (!known && flag.status === "open" && state.streamLoaded) alertNewFlag(flag);
  refreshOpenCount();
}

// --- alerts: open count in the header and the tab title, a tone, a browser notification -------

let countTimer = null;
function refreshOpenCount() {
  clearTimeout(countTimer); // one count for a burst of stream events
  countTimer = setTimeout(async () => {
    try {
      const counts = await api("/api/stats/open-flags");
      state.openCount = counts.open;
      showOpenCount();
    } catch (_) { /* the next event tries again */ }
  }, 150);
}

function showOpenCount() {
  const n = state.openCount;
  const badge = $("#open-count");
  badge.hidden = n == null;
  badge.textContent = n == null ? "" : t("count.open", { n });
  badge.classList.toggle("none", n === 0);
  document.title = n ? `(${n}) ${t("app.short")}` : t("app.short");
}

let audio = null;
function tone(urgent) {
  if (!state.sound || !window.AudioContext) return false;
  audio ??= new AudioContext();
  if (audio.state === "suspended") audio.resume().catch(() => {});
  const beeps = urgent ? [0, 0.22] : [0];
  for (const at of beeps) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = urgent ? 988 : 660;
    const t0 = audio.currentTime + at;
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.18);
    osc.connect(gain).connect(audio.destination);
    osc.start(t0);
    osc.stop(t0 + 0.2);
  }
  return true;
}

function alertNewFlag(flag) {
  const urgent = flag.priority >= 3;
  const record = { flag_id: flag.flag_id, priority: flag.priority, tone: tone(urgent), notified: false };
  if (urgent && window.Notification && Notification.permission === "granted") {
    try {
      new Notification(`${t(`priority.${flag.priority}`)}: ${flag.plate_display || flag.plate || "—"}`, {
        body: `${t(`reason.${flag.reason}`)} · ${flag.checkpoint} · ${ewI18n.time(flag.crossed_at)}`,
        tag: `flag-${flag.flag_id}`,
      });
      record.notified = true;
    } catch (_) { /* a browser that grants but cannot show one */ }
  }
  state.alerts.push(record);
}

function showSound() {
  const button = $("#sound");
  button.textContent = t(state.sound ? "alert.sound_on" : "alert.sound_off");
  button.setAttribute("aria-pressed", String(state.sound));
}

$("#sound").addEventListener("click", () => {
  state.sound = !state.sound;
  localStorage.setItem("entrywatch.sound", state.sound ? "on" : "off");
  if (state.sound) tone(false); // the click is the gesture the browser wants before audio
  showSound();
});

function showNotifyButton() {
  $("#notify").hidden = !window.Notification || Notification.permission !== "default";
}
$("#notify").addEventListener("click", () => {
  Notification.requestPermission().finally(showNotifyButton);
});

function summary(flag) {
  if (!flag) return "";
  return `#${flag.flag_id} ${flag.plate_display || flag.plate || "—"} · ${t(`reason.${flag.reason}`)} · `
    + `${flag.camera_id} · ${ewI18n.time(flag.crossed_at)}`;
}

function openAction(kind, flag) {
  const dialog = $(`#${kind}-dialog`);
  const form = dialog.querySelector("form");
  form.reset();
  dialog.querySelector(".flag-summary").textContent = summary(flag);
  dialog.onclose = async () => {
    if (dialog.returnValue !== "ok") return;
    const body = { note: form.note.value.trim() || null };
    if (kind === "resolve") body.outcome = form.outcome.value;
    const verb = { ack: "acknowledge", resolve: "resolve", reopen: "reopen" }[kind];
    try {
      const updated = await api(`/api/flags/${flag.flag_id}/${verb}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      state.flags.set(updated.flag_id, updated);
      renderFlags();
      showError(null);
    } catch (err) { showError(err); }
  };
  dialog.showModal();
}

// An audit note in words: a resolution's note starts with its outcome ("violation_confirmed: ..."),
// a late declaration's names it ("declaration #12 filed ...").
function auditNote(row) {
  const note = row.note || "";
  const m = /^([a-z_]+)(?:: ([\s\S]*))?$/.exec(note);
  if (row.action === "resolved" && m && EW_LABELS.en[`outcome.${m[1]}`]) {
    const rest = m[2] ? m[2].replace(/^declaration #(\d+) filed (\S+)$/,
      (_, id, at) => t("audit.declared", { id, at: ewI18n.time(at) })) : "";
    return t(`outcome.${m[1]}`) + (rest ? `: ${rest}` : "");
  }
  return note;
}

function auditItems(rows) {
  return rows.map((r) => ({ at: ewI18n.time(r.at), action: t(`action.${r.action}`),
    who: r.actor === "system" ? t("audit.system") : r.actor, note: auditNote(r) }));
}

async function showAudit(flag) {
  try {
    const rows = await api(`/api/flags/${flag.flag_id}/audit`);
    $("#audit-summary").textContent = summary(flag);
    $("#audit-rows").replaceChildren(...auditItems(rows).map((r) => el("tr", { "data-testid": "audit-row" },
      el("td", { text: r.at }), el("td", { text: r.action }),
      el("td", { text: r.who }), el("td", { text: r.note }))));
    $("#audit-dialog").showModal();
  } catch (err) { showError(err); }
}

// --- the detail panel: full frame with its boxes, the plate crop, the vote, the audit ---------

function svgNode(tag, attrs) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

// The frame with the vehicle and plate boxes drawn over it (boxes are in the frame image's pixels).
function framed(url, evidence, alt, testid) {
  const img = el("img", { src: url, alt, "data-testid": testid });
  const figure = el("div", { class: "boxed" }, img);
  img.addEventListener("load", () => {
    const svg = svgNode("svg", { viewBox: `0 0 ${img.naturalWidth} ${img.naturalHeight}`,
      preserveAspectRatio: "none", class: "boxes" });
    for (const [name, box] of [["vehicle", evidence.vehicle_box], ["plate", evidence.plate_box]]) {
      if (!box) continue;
      const [x1, y1, x2, y2] = box;
      svg.append(svgNode("rect", { x: x1, y: y1, width: x2 - x1, height: y2 - y1, class: `box-${name}` }));
    }
    figure.append(svg);
  }, { once: true });
  return figure;
}

async function fillPhoto(target, id, render) {
  const url = id ? await evidenceUrl(id) : null;
  if (!url) {
    target.replaceChildren(el("div", { class: "nophoto", text: t(id ? "photo.missing" : "photo.none") }));
    return;
  }
  const node = render(url);
  node.addEventListener("click", () => zoom(render(url)));
  target.replaceChildren(node);
}

function zoom(node) {
  node.classList.add("zoomed");
  $("#zoom-body").replaceChildren(node);
  $("#zoom-dialog").showModal();
}
$("#zoom-body").addEventListener("click", () => $("#zoom-dialog").close());

function facts(target, pairs) {
  target.replaceChildren(...pairs.filter(([, v]) => v != null && v !== "")
    .flatMap(([k, v]) => [el("dt", { text: t(k) }), el("dd", { text: String(v) })]));
}

async function showDetail(flag) {
  const dialog = $("#detail-dialog");
  const alt = flag.plate_display || flag.plate || "";
  dialog.dataset.detailOf = String(flag.flag_id);
  $("#detail-title").textContent = `#${flag.flag_id} · ${alt || t("reason.unreadable")}`;
  $("#detail-priority").replaceWith(Object.assign(priorityBadge(flag.priority), { id: "detail-priority" }));
  $("#detail-reason").textContent = `${t(`reason.${flag.reason}`)}: ${reasonWords(flag.detail)}`;
  fillPhoto($("#detail-frame"), flag.evidence.frame || flag.evidence.vehicle_snapshot,
    (url) => framed(url, flag.evidence.frame ? flag.evidence : {}, alt, "frame-img"));
  fillPhoto($("#detail-plate"), flag.evidence.plate_crop,
    (url) => el("img", { src: url, alt, "data-testid": "plate-img" }));
  facts($("#detail-meta"), [["col.camera", flag.camera_id], ["col.checkpoint", flag.checkpoint],
    ["col.time", ewI18n.time(flag.crossed_at)],
    ["col.confidence", flag.confidence == null ? null : flag.confidence.toFixed(2)],
    ["col.status", t(`status.${flag.status}`)
      + (flag.resolution ? ` — ${t(`outcome.${flag.resolution.outcome}`)}` : "")]]);
  const actions = $("#detail-actions");
  actions.replaceChildren();
  // Acting on a flag needs an operator's key (roles.js hides these from an integrator).
  const act = (action, label, extra = {}) => el("button", { type: "button", text: t(label),
    "data-action": action, "data-needs-role": "operator", ...extra });
  if (flag.status === "open") actions.append(act("ack", "act.ack"));
  if (flag.status !== "resolved") actions.append(act("resolve", "act.resolve", { class: "primary" }));
  // A resolved flag can be opened again (POST /api/flags/{id}/reopen; the audit keeps the outcome).
  if (flag.status === "resolved") actions.append(act("reopen", "act.reopen", { class: "primary" }));
  actions.append(el("button", { value: "close", text: t("act.close") }));
  $("#detail-candidates").replaceChildren();
  $("#detail-audit").replaceChildren();
  $("#detail-declaration").replaceChildren(el("dd", { text: "…" }));
  if (!dialog.open) dialog.showModal();
  try {
    const [detail, entry] = await Promise.all([api(`/api/flags/${flag.flag_id}`),
      api(`/api/entries/${encodeURIComponent(flag.event_id)}`)]);
    const d = detail.declaration;
    if (d) {
      facts($("#detail-declaration"), [["decl.number", `#${d.id}`], ["col.plate", d.plate_display || d.plate],
        ["col.valid", `${ewI18n.time(d.valid_from)} – ${ewI18n.time(d.valid_until)}`],
        ["decl.checkpoints", d.checkpoints.length ? d.checkpoints.join(", ") : t("decl.any")]]);
    } else {
      $("#detail-declaration").replaceChildren(el("dd", { text: t(flag.declaration_id ? "decl.gone" : "decl.none") }));
    }
    const candidates = entry.candidates.length ? entry.candidates : [];
    $("#detail-candidates").replaceChildren(...candidates.map((c) => el("tr", { "data-testid": "candidate" },
      el("td", { class: "plate", text: c.plate }), el("td", { text: c.score.toFixed(2) }))));
    if (!candidates.length) $("#detail-candidates").append(el("tr", {}, el("td", { colSpan: 2, text: t("empty") })));
    $("#detail-candidates").append(el("tr", { class: "meta" },
      el("td", { colSpan: 2, text: t("detail.reads", { n: entry.reads }) })));
    $("#detail-audit").replaceChildren(...auditItems(detail.audit).map((r) => el("li", { "data-testid": "detail-audit" },
      el("span", { class: "meta", text: `${r.at} · ${r.who}` }), ` ${r.action}`, r.note ? ` — ${r.note}` : "")));
  } catch (err) { showError(err); }
}

$("#detail-actions").addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-action]");
  const flag = button && state.flags.get(Number($("#detail-dialog").dataset.detailOf));
  if (!flag) return;
  $("#detail-dialog").close();
  openAction(button.dataset.action, flag);
});

$("#flag-list").addEventListener("click", (ev) => {
  const target = ev.target.closest("[data-action]");
  if (!target) return;
  const flag = state.flags.get(Number(target.closest("[data-flag-id]").dataset.flagId));
  if (!flag) return;
  if (target.dataset.action === "audit") showAudit(flag);
  else if (target.dataset.action === "detail") showDetail(flag);
  else openAction(target.dataset.action, flag);
});

$("#flag-filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.target;
  state.flagFilter = { status: form.status.value, reason: form.reason.value,
    checkpoint: form.checkpoint.value.trim(), camera_id: form.camera_id.value.trim(),
    plate: form.plate.value.trim() };
  loadFlags().catch(showError);
});
$("#flags-csv").addEventListener("click", () => {
  downloadCsv(`/api/flags?${query({ ...state.flagFilter, format: "csv" })}`).catch(showError);
});
$("#flags-more").addEventListener("click", () => loadFlags(true).catch(showError));

// --- live stream (fetch, so the key goes in a header and never in a URL) ----------------------

function setLive(on) {
  const badge = $("#live");
  badge.hidden = $("#key-dialog").open;
  badge.className = `live ${on ? "on" : "off"}`;
  badge.dataset.i18n = on ? "live.on" : "live.off";
  badge.textContent = t(badge.dataset.i18n);
}

async function runStream() {
  if (state.streamAbort) state.streamAbort.abort();
  const abort = new AbortController();
  state.streamAbort = abort;
  let lastEventId = null;
  let loaded = false;
  while (!abort.signal.aborted) {
    try {
      const headers = { "X-API-Key": apiKey() || "", Accept: "text/event-stream" };
      if (lastEventId) headers["Last-Event-ID"] = lastEventId;
      const resp = await fetch("/api/flags/stream", { headers, signal: abort.signal });
      if (resp.status === 401) { setLive(false); askKey(true); return; }
      if (!resp.ok || !resp.body) throw new Error(`stream: ${resp.status}`);
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let name = "message", data = "", id = null;
          for (const line of block.split("\n")) {
            if (line.startsWith("id:")) id = line.slice(3).trim();
            else if (line.startsWith("event:")) name = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (id) lastEventId = id;
          if (name === "ready") {
            setLive(true);
            if (!loaded) {
              loaded = true;
              await loadFlags().catch(showError);
              state.streamLoaded = true; // from now on a flag the list lacks is a new one
              refreshOpenCount();
            }
          } else if (name === "flag") {
            upsertFlag(JSON.parse(data));
          }
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return;
    }
    setLive(false);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// --- entries, declarations, cameras ------------------------------------------------------------

function entryFilter() {
  const form = $("#entry-filters");
  return { camera_id: form.camera_id.value.trim(), checkpoint: form.checkpoint.value.trim(),
    plate: form.plate.value.trim(), since: localToIso(form.since.value),
    until: localToIso(form.until.value) };
}

// One full-width row saying there is nothing (after a search: nothing found for it).
function emptyRow(tbody, searched, key) {
  if (tbody.rows.length) return;
  const cols = tbody.closest("table").querySelectorAll("thead th").length;
  tbody.append(el("tr", { class: "empty-row" }, el("td", { colSpan: cols, class: "empty", "data-testid": "empty",
    text: searched ? t("search.none", { q: searched }) : t(key || "empty") })));
}

async function loadEntries() {
  const params = { ...entryFilter(), limit: 50, offset: state.entriesOffset };
  const page = await api(`/api/entries?${query(params)}`);
  $("#entry-rows").replaceChildren(...page.items.map((e) => el("tr", {},
    el("td", { text: ewI18n.time(e.crossed_at) }),
    el("td", { class: "plate", text: e.plate_display || e.plate || "—" }),
    el("td", { text: e.camera_id }), el("td", { text: e.checkpoint }),
    el("td", { text: t(`dir.${e.direction}`) }), el("td", { text: e.confidence.toFixed(2) }),
    el("td", { text: e.outcome ? t(`reason.${e.outcome}`) : "" }))));
  emptyRow($("#entry-rows"), params.plate);
  state.loads.entries += 1;
  $("#entries-prev").disabled = state.entriesOffset === 0;
  $("#entries-next").disabled = !page.has_more;
}

async function loadDeclarations() {
  await ewCheckpoints.load(); // names for the checkpoints column (checkpoints.js)
  const form = $("#declaration-filters");
  const params = { plate: form.plate.value.trim(), limit: 50, offset: state.declarationsOffset };
  const page = await api(`/api/declarations?${query(params)}`);
  $("#declaration-rows").replaceChildren(...page.items.map((d) => el("tr", {},
    el("td", { text: String(d.id) }), el("td", { class: "plate", text: d.plate_display || d.plate }),
    el("td", { text: d.driver_name || "" }), el("td", { text: d.driver_phone || "" }),
    el("td", { text: `${d.origin || ""} → ${d.destination || ""}` }),
    el("td", { text: `${ewI18n.time(d.valid_from)} – ${ewI18n.time(d.valid_until)}` }),
    el("td", { text: ewCheckpoints.names(d.checkpoints) }),
    el("td", { text: ewCheckpoints.via(d.filed_via), title: d.filed_via }),
    el("td", {}, el("button", { text: t("act.delete"), "data-delete": String(d.id) })))));
  emptyRow($("#declaration-rows"), params.plate);
  $("#declarations-prev").disabled = state.declarationsOffset === 0;
  $("#declarations-next").disabled = !page.has_more;
}

async function loadCameras() {
  const rows = await api("/api/cameras");
  $("#camera-rows").replaceChildren(...rows.map((c) => el("tr", {},
    el("td", { text: c.camera_id }), el("td", { text: c.checkpoint || "" }),
    el("td", { class: `status-${c.status}`, text: t(`cam.${c.status}`) }),
    el("td", { text: c.last_frame_at ? `${ewI18n.time(c.last_frame_at)} (${Math.round(c.age_s)} s)` : "—" }),
    el("td", { text: c.fps == null ? "" : c.fps.toFixed(1) }),
    el("td", { text: String(c.frames_dropped) }), el("td", { text: String(c.reconnects) }),
    el("td", { text: c.inference_ms == null ? "" : c.inference_ms.toFixed(0) }),
    el("td", { text: c.error || "" }))));
  emptyRow($("#camera-rows"), "", "cam.none");
}

// --- reports: entries and flags per hour per checkpoint (uPlot, vendored: api/static/vendor) ---

const PALETTE = ["#1849a9", "#b42318", "#067647", "#b54708", "#6941c6", "#0e7090", "#c11574"];

async function loadReport() {
  const form = $("#report-filters");
  const until = form.until.value ? new Date(form.until.value) : new Date();
  until.setUTCMinutes(60, 0, 0); // the end of this hour (or of the hour asked for): the stats' hours are UTC
  const since = new Date(until.getTime() - Number(form.hours.value) * 3600_000);
  const rows = await api(`/api/stats/hourly?${query({ since: since.toISOString(), until: until.toISOString() })}`);
  const wanted = form.checkpoint.value.trim();
  const stats = rows.filter((r) => !wanted || r.checkpoint === wanted);
  $("#report-rows").replaceChildren(...stats.map((r) => el("tr", { "data-testid": "report-row" },
    el("td", { text: ewI18n.time(r.hour) }), el("td", { text: r.checkpoint }),
    el("td", { text: String(r.entries) }), el("td", { text: String(r.flags) }))));
  emptyRow($("#report-rows"), "", "report.none");
  drawChart(stats, since, until);
}

function drawChart(stats, since, until) {
  const box = $("#chart");
  if (state.chart) { state.chart.destroy(); state.chart = null; }
  box.replaceChildren();
  if (!stats.length || !window.uPlot) return;
  const hours = [];
  for (let at = Math.floor(since.getTime() / 1000); at < until.getTime() / 1000; at += 3600) hours.push(at);
  const index = new Map(hours.map((h, i) => [h, i]));
  const checkpoints = [...new Set(stats.map((r) => r.checkpoint))].sort();
  const data = [hours];
  const series = [{}];
  checkpoints.forEach((cp, i) => {
    const entries = hours.map(() => 0);
    const flags = hours.map(() => 0);
    for (const r of stats.filter((s) => s.checkpoint === cp)) {
      const at = index.get(Date.parse(r.hour) / 1000);
      if (at !== undefined) { entries[at] = r.entries; flags[at] = r.flags; }
    }
    const color = PALETTE[i % PALETTE.length];
    data.push(entries, flags);
    series.push({ label: `${cp} · ${t("col.entries")}`, stroke: color, width: 2, points: { show: true } },
      { label: `${cp} · ${t("col.flags")}`, stroke: color, dash: [6, 4], width: 2, points: { show: true } });
  });
  state.chart = new uPlot({
    width: Math.max(480, box.clientWidth || 900), height: 320, series, scales: { x: { time: true } },
    axes: [{}, { label: t("report.count") }],
  }, data, box);
}

$("#report-filters").addEventListener("submit", (ev) => {
  ev.preventDefault(); loadReport().catch(showError);
});
$("#entries-csv").addEventListener("click", () => {
  downloadCsv(`/api/entries?${query({ ...entryFilter(), format: "csv" })}`).catch(showError);
});

$("#entry-filters").addEventListener("submit", (ev) => {
  ev.preventDefault(); state.entriesOffset = 0; loadEntries().catch(showError);
});
$("#entries-prev").addEventListener("click", () => {
  state.entriesOffset = Math.max(0, state.entriesOffset - 50); loadEntries().catch(showError);
});
$("#entries-next").addEventListener("click", () => {
  state.entriesOffset += 50; loadEntries().catch(showError);
});
$("#declaration-filters").addEventListener("submit", (ev) => {
  ev.preventDefault(); state.declarationsOffset = 0; loadDeclarations().catch(showError);
});
$("#declarations-prev").addEventListener("click", () => {
  state.declarationsOffset = Math.max(0, state.declarationsOffset - 50);
  loadDeclarations().catch(showError);
});
$("#declarations-next").addEventListener("click", () => {
  state.declarationsOffset += 50; loadDeclarations().catch(showError);
});
$("#declaration-rows").addEventListener("click", async (ev) => {
  const id = ev.target.dataset && ev.target.dataset.delete;
  if (!id || !window.confirm(t("confirm.delete"))) return;
  try { await api(`/api/declarations/${id}`, { method: "DELETE" }); await loadDeclarations(); }
  catch (err) { showError(err); }
});
$("#import-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = new FormData(ev.target);
  try {
    const report = await api("/api/declarations/import", { method: "POST", body });
    const lines = report.errors.map((e) => `${e.line}: ${e.reason}`).join("\n");
    $("#import-result").textContent = t("import.done", { n: report.imported, e: report.errors.length });
    $("#import-result").title = lines;
    await loadDeclarations();
  } catch (err) { showError(err); }
});

// --- navigation and start ----------------------------------------------------------------------

let cameraTimer = null;
function showView(name) {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.classList.toggle("active", tab.dataset.view === name);
  }
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== `view-${name}`;
  clearInterval(cameraTimer);
  const loaders = { entries: loadEntries, declarations: loadDeclarations, cameras: loadCameras,
    reports: loadReport };
  if (loaders[name]) loaders[name]().catch(showError);
  if (name === "cameras") cameraTimer = setInterval(() => loadCameras().catch(showError), 5000);
}

for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => showView(tab.dataset.view));
}
$("#lang").addEventListener("click", () => ewI18n.toggle());
$("#key-button").addEventListener("click", () => askKey(false));
document.addEventListener("ew:lang", () => { renderFlags(); showOpenCount(); showSound(); });

function start() {
  if (!apiKey()) { askKey(false); return; }
  $("#live").hidden = false;
  runStream();
}

ewI18n.apply();
showSound();
showNotifyButton();
showOpenCount();
start();
