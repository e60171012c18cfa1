// The public declaration page: no API key. The checkpoint is chosen from the registry
// (checkpoints.js); what the server refuses comes back by field and type (api/routes/
// declarations.py) and is said here in the page's language, in words a driver understands:
// never a pattern or a server message in English on the Vietnamese page.
"use strict";
const form = document.querySelector("#declare-form");
const t = (key, vars) => ewI18n.t(key, vars);
// As the API checks it (api/schemas.py DeclarationCreate.driver_phone).
const PHONE = /^\+?[0-9][0-9 .()-]{5,30}$/;
const REQUIRED = ["plate", "driver_name", "driver_phone", "origin", "destination", "valid_from",
  "valid_until"];
let shown = null; // what the last refusal said, kept to say it again if the language changes

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T`
    + `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function sentence(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// One problem {field, type, ctx} in words.
function words(problem) {
  const { field, type, ctx } = problem;
  const name = t(`field.${field}`);
  if (name === `field.${field}`) return t("err.server"); // not a field of the form
  if (type === "missing" || type === "string_too_short" || type === "required") {
    return field === "plate" && type === "string_too_short" ? t("err.plate")
      : t("err.required", { field: name });
  }
  if (type === "string_too_long") return sentence(t("err.too_long", { field: name }));
  if (field === "driver_phone") return t("err.driver_phone");
  if (field === "plate") return t(type === "plate_format" ? "err.plate_format" : "err.plate");
  if (field === "vehicle_class") return t("err.vehicle_class");
  if (type === "unknown_checkpoint") {
    return t("err.unknown_checkpoint", { codes: ((ctx && ctx.unknown) || []).join(", ") });
  }
  const window = ["window_order", "window_too_long", "start_too_far_ahead", "start_too_far_behind",
    "window_past"];
  if (window.includes(type)) return t(`err.${type}`, ctx || {});
  if (type.startsWith("datetime") || type.startsWith("timezone")) {
    return sentence(t("err.time", { field: name }));
  }
  return sentence(t("err.field", { field: name }));
}

// What the browser can tell before sending: required fields and the phone's shape.
function localProblems() {
  const problems = [];
  for (const field of REQUIRED) {
    if (!form[field].value.trim()) problems.push({ field, type: "required" });
  }
  const phone = form.driver_phone.value.trim();
  if (phone && !PHONE.test(phone)) problems.push({ field: "driver_phone", type: "pattern" });
  return problems;
}

// The server's 422 detail: a list of {type, loc, msg, ctx?} (validation or the route's checks).
function serverProblems(detail) {
  if (!Array.isArray(detail)) return [{ field: "body", type: "unknown" }];
  return detail.map((d) => {
    const loc = d.loc || [];
    return { field: String(loc[0] === "body" ? loc[1] ?? "body" : loc[loc.length - 1]),
      type: String(d.type || ""), ctx: d.ctx };
  });
}

function show(problems, message) {
  shown = { problems, message };
  const box = document.querySelector("#declare-error");
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const note of form.querySelectorAll(".field-error")) note.remove();
  if (!problems.length && !message) { box.replaceChildren(); return; }
  const lines = message ? [t(message.key, message.vars)] : [];
  const said = new Set();
  for (const problem of problems) {
    const text = words(problem);
    if (said.has(text)) continue;
    said.add(text);
    lines.push(text);
    const input = form.elements[problem.field];
    if (input && input.setAttribute) {
      input.setAttribute("aria-invalid", "true");
      const note = document.createElement("span");
      note.className = "field-error error";
      note.dataset.testid = `error-${problem.field}`;
      note.textContent = text;
      input.closest("label").append(note);
    }
  }
  const title = document.createElement("p");
  title.textContent = t("declare.error");
  const list = document.createElement("ul");
  for (const line of lines) {
    const item = document.createElement("li");
    item.textContent = line;
    list.append(item);
  }
  box.replaceChildren(title, list);
}

function refusal(resp, data) {
  if (resp.status === 422) return { problems: serverProblems(data.detail) };
  if (resp.status === 429) {
    return { problems: [], message: { key: "err.rate", vars: { s: resp.headers.get("Retry-After") || 60 } } };
  }
  if (resp.status === 413) return { problems: [], message: { key: "err.too_large" } };
  if (resp.status === 409) return { problems: [], message: { key: "err.busy" } };
  return { problems: [], message: { key: "err.server" } };
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const result = document.querySelector("#declare-result");
  result.textContent = "";
  const local = localProblems();
  show(local);
  if (local.length) return;
  const value = (name) => form[name].value.trim();
  const checkpoint = value("checkpoints");
  const body = {
    plate: value("plate"), vehicle_class: value("vehicle_class"),
    driver_name: value("driver_name"), driver_phone: value("driver_phone"),
    origin: value("origin"), destination: value("destination"),
    purpose: value("purpose") || null, checkpoints: checkpoint ? [checkpoint] : null,
    valid_from: new Date(value("valid_from")).toISOString(),
    valid_until: new Date(value("valid_until")).toISOString(),
  };
  let resp;
  try {
    resp = await fetch("/api/declarations", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
  } catch (_) {
    show([], { key: "err.network" });
    return;
  }
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) {
    const { problems, message } = refusal(resp, data);
    show(problems, message);
    return;
  }
  shown = null;
  result.textContent = t("declare.ok", { id: data.id, plate: data.plate_display });
});

// The registry's checkpoints as the list's options, named in the page's language.
function fillCheckpoints() {
  const select = form.checkpoints;
  const chosen = select.value;
  const any = select.options[0];
  const options = ewCheckpoints.list.map((c) => {
    const option = document.createElement("option");
    option.value = c.code;
    option.textContent = ewCheckpoints.label(c);
    return option;
  });
  select.replaceChildren(any, ...options);
  select.value = chosen;
}

document.querySelector("#lang").addEventListener("click", () => ewI18n.toggle());
document.addEventListener("ew:lang", () => {
  fillCheckpoints();
  if (shown) show(shown.problems, shown.message);
});
const now = new Date();
form.valid_from.value = localInput(now);
form.valid_until.value = localInput(new Date(now.getTime() + 2 * 86400000));
ewI18n.apply();
ewCheckpoints.load().then(fillCheckpoints);
