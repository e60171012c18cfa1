// The public declaration page: no API key; the server validates the plate and the window.
"use strict";
const form = document.querySelector("#declare-form");

function localInput(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T`
    + `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function describe(detail) {
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return String(detail);
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const result = document.querySelector("#declare-result");
  const error = document.querySelector("#declare-error");
  result.textContent = "";
  error.textContent = "";
  const value = (name) => form[name].value.trim();
  const checkpoints = value("checkpoints").split(/[,;]/).map((s) => s.trim()).filter(Boolean);
  const body = {
    plate: value("plate"), vehicle_class: value("vehicle_class"),
    driver_name: value("driver_name"), driver_phone: value("driver_phone"),
    origin: value("origin"), destination: value("destination"),
    purpose: value("purpose") || null, checkpoints: checkpoints.length ? checkpoints : null,
    valid_from: value("valid_from") ? new Date(value("valid_from")).toISOString() : null,
    valid_until: value("valid_until") ? new Date(value("valid_until")).toISOString() : null,
  };
  try {
    const resp = await fetch("/api/declarations", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      error.textContent = `${ewI18n.t("declare.error")} ${describe(data.detail ?? resp.statusText)}`;
      return;
    }
    result.textContent = ewI18n.t("declare.ok", { id: data.id, plate: data.plate_display });
  } catch (err) {
    error.textContent = `${ewI18n.t("declare.error")} ${err}`;
  }
});

document.querySelector("#lang").addEventListener("click", () => ewI18n.toggle());
const now = new Date();
form.valid_from.value = localInput(now);
form.valid_until.value = localInput(new Date(now.getTime() + 2 * 86400000));
ewI18n.apply();
