// EntryWatch operators' dashboard: live open flags, acknowledge/resolve, entries, declarations,
// camera health. No framework, nothing loaded from the internet. All text goes in via
// textContent (plates come from OCR, notes from people).
"use strict";
const KEY_STORAGE = "entrywatch.key";
const t = (key, vars) => ewI18n.t(key, vars);
const $ = (sel) => document.querySelector(sel);

const state = {
  flags: new Map(), // id -> flag
  flagFilter: { status: "open", reason: "", checkpoint: "", camera_id: "" },
  nextBeforeId: null,
  entriesOffset: 0, declarationsOffset: 0,
  images: new Map(), // evidence id -> blob URL (or a pending promise)
  streamAbort: null,
  arrivals: {}, // flag id -> Date.now() when the stream delivered it (read by the benchmarks)
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

function flagVisible(flag) {
  const f = state.flagFilter;
  return (!f.status || flag.status === f.status) && (!f.reason || flag.reason === f.reason)
    && (!f.checkpoint || flag.checkpoint === f.checkpoint)
    && (!f.camera_id || flag.camera_id === f.camera_id);
}

function flagCard(flag, fresh) {
  const photo = el("div", { class: "nophoto" });
  const evidence = flag.evidence.vehicle_snapshot || flag.evidence.plate_crop;
  if (evidence) {
    evidenceUrl(evidence).then((url) => {
      if (url) photo.replaceWith(el("img", { src: url, alt: flag.plate_display || "" }));
    });
  }
  const actions = el("div", { class: "actions" });
  if (flag.status === "open") {
    actions.append(el("button", { text: t("act.ack"), "data-action": "ack" }));
  }
  if (flag.status !== "resolved") {
    actions.append(el("button", { text: t("act.resolve"), class: "primary", "data-action": "resolve" }));
  }
  actions.append(el("button", { text: t("act.audit"), "data-action": "audit" }));
  const outcome = flag.resolution ? ` — ${t(`outcome.${flag.resolution.outcome}`)}` : "";
  return el("article", {
    class: `card ${flag.status}${fresh ? " fresh" : ""}`, "data-flag-id": String(flag.flag_id),
    "data-testid": "flag",
  },
  photo,
  el("div", {},
    el("div", { class: "plate", text: flag.plate_display || flag.plate || "—" }),
    el("div", { class: "reason", text: t(`reason.${flag.reason}`) }),
    el("div", { class: "meta", text: `${flag.camera_id} · ${flag.checkpoint}` }),
    el("div", { class: "meta", text: ewI18n.time(flag.crossed_at) }),
    el("div", { class: "meta status", text: t(`status.${flag.status}`) + outcome })),
  actions);
}

function renderFlags(freshId) {
  const list = $("#flag-list");
  const flags = [...state.flags.values()].filter(flagVisible).sort((a, b) => b.flag_id - a.flag_id);
  list.replaceChildren(...flags.map((f) => flagCard(f, f.flag_id === freshId)));
  if (!flags.length) list.append(el("p", { class: "meta", text: t("empty") }));
  $("#flags-more").hidden = state.nextBeforeId == null;
}

async function loadFlags(more = false) {
  const params = { ...state.flagFilter, limit: 50 };
  if (more && state.nextBeforeId) params.before_id = state.nextBeforeId;
  const page = await api(`/api/flags?${query(params)}`);
  if (!more) state.flags.clear();
  for (const f of page.items) state.flags.set(f.flag_id, f);
  state.nextBeforeId = page.next_before_id;
  renderFlags();
}

function upsertFlag(flag) {
  const known = state.flags.has(flag.flag_id);
  state.arrivals[flag.flag_id] ??= Date.now();
  state.flags.set(flag.flag_id, flag);
  if (flagVisible(flag) || known) renderFlags(known ? null : flag.flag_id);
}

function summary(flag) {
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
    const verb = kind === "ack" ? "acknowledge" : "resolve";
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

async function showAudit(flag) {
  try {
    const rows = await api(`/api/flags/${flag.flag_id}/audit`);
    $("#audit-rows").replaceChildren(...rows.map((r) => el("tr", { "data-testid": "audit-row" },
      el("td", { text: ewI18n.time(r.at) }), el("td", { text: t(`action.${r.action}`) }),
      el("td", { text: r.actor }), el("td", { text: r.note || "" }))));
    $("#audit-dialog").showModal();
  } catch (err) { showError(err); }
}

$("#flag-list").addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-action]");
  if (!button) return;
  const flag = state.flags.get(Number(button.closest("[data-flag-id]").dataset.flagId));
  if (!flag) return;
  if (button.dataset.action === "audit") showAudit(flag);
  else openAction(button.dataset.action, flag);
});

$("#flag-filters").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const form = ev.target;
  state.flagFilter = { status: form.status.value, reason: form.reason.value,
    checkpoint: form.checkpoint.value.trim(), camera_id: form.camera_id.value.trim() };
  loadFlags().catch(showError);
});
$("#flags-more").addEventListener("click", () => loadFlags(true).catch(showError));

// --- live stream (fetch, so the key goes in a header and never in a URL) ----------------------

function setLive(on) {
  const badge = $("#live");
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
            if (!loaded) { loaded = true; await loadFlags().catch(showError); }
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

async function loadEntries() {
  const form = $("#entry-filters");
  const params = { camera_id: form.camera_id.value.trim(), checkpoint: form.checkpoint.value.trim(),
    plate: form.plate.value.trim(), since: localToIso(form.since.value),
    until: localToIso(form.until.value), limit: 50, offset: state.entriesOffset };
  const page = await api(`/api/entries?${query(params)}`);
  $("#entry-rows").replaceChildren(...page.items.map((e) => el("tr", {},
    el("td", { text: ewI18n.time(e.crossed_at) }),
    el("td", { class: "plate", text: e.plate_display || e.plate || "—" }),
    el("td", { text: e.camera_id }), el("td", { text: e.checkpoint }),
    el("td", { text: t(`dir.${e.direction}`) }), el("td", { text: e.confidence.toFixed(2) }),
    el("td", { text: e.outcome ? t(`reason.${e.outcome}`) : "" }))));
  $("#entries-prev").disabled = state.entriesOffset === 0;
  $("#entries-next").disabled = !page.has_more;
}

async function loadDeclarations() {
  const form = $("#declaration-filters");
  const params = { plate: form.plate.value.trim(), limit: 50, offset: state.declarationsOffset };
  const page = await api(`/api/declarations?${query(params)}`);
  $("#declaration-rows").replaceChildren(...page.items.map((d) => el("tr", {},
    el("td", { text: String(d.id) }), el("td", { class: "plate", text: d.plate_display || d.plate }),
    el("td", { text: d.driver_name || "" }), el("td", { text: d.driver_phone || "" }),
    el("td", { text: `${d.origin || ""} → ${d.destination || ""}` }),
    el("td", { text: `${ewI18n.time(d.valid_from)} – ${ewI18n.time(d.valid_until)}` }),
    el("td", { text: d.filed_via }),
    el("td", {}, el("button", { text: t("act.delete"), "data-delete": String(d.id) })))));
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
}

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
  const loaders = { entries: loadEntries, declarations: loadDeclarations, cameras: loadCameras };
  if (loaders[name]) loaders[name]().catch(showError);
  if (name === "cameras") cameraTimer = setInterval(() => loadCameras().catch(showError), 5000);
}

for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => showView(tab.dataset.view));
}
$("#lang").addEventListener("click", () => ewI18n.toggle());
$("#key-button").addEventListener("click", () => askKey(false));
document.addEventListener("ew:lang", () => renderFlags());

function start() {
  if (!apiKey()) { askKey(false); return; }
  runStream();
}

ewI18n.apply();
start();
