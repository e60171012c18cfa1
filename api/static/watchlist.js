// The watch-list screen (operators and admins): plates flagged at top priority on every entry,
// added with a reason, removed, and every change with who made it (GET/POST/DELETE
// /api/watchlist, /api/watchlist/audit). Uses app.js's api(), el(), t() and showError().
"use strict";
const watchView = {
  section: document.querySelector("#view-watchlist"),
  built: false,

  build() {
    if (this.built) return;
    this.built = true;
    const field = (key, input) => el("label", {}, el("span", { "data-i18n": key }), input);
    const form = el("form", { id: "watch-form", class: "filters", "data-testid": "watch-form" },
      field("watch.plate", el("input", { name: "plate", maxLength: 20, autocomplete: "off",
        "data-i18n-placeholder": "declare.plate_hint" })),
      field("watch.reason", el("input", { name: "reason", maxLength: 500, size: 40 })),
      field("watch.note", el("input", { name: "note", maxLength: 2000 })),
      el("button", { type: "submit", class: "primary", "data-i18n": "watch.add" }),
      el("span", { id: "watch-result", class: "message", role: "status",
        "data-testid": "watch-result" }));
    const head = (...keys) => el("thead", {}, el("tr", {},
      ...keys.map((k) => el("th", k ? { "data-i18n": k } : {}))));
    this.section.replaceChildren(
      el("h2", { "data-i18n": "watch.title" }),
      el("p", { class: "meta", "data-i18n": "watch.hint" }),
      form,
      el("table", { class: "grid" },
        head("col.plate", "watch.reason", "watch.added_by", "watch.added_at", ""),
        el("tbody", { id: "watch-rows" })),
      el("h3", { "data-i18n": "watch.history" }),
      el("table", { class: "grid" },
        head("audit.when", "audit.action", "col.plate", "audit.who", "watch.reason", "audit.note"),
        el("tbody", { id: "watch-audit-rows" })));
    ewI18n.apply(this.section);
    form.addEventListener("submit", (ev) => { ev.preventDefault(); this.add(form); });
    this.section.querySelector("#watch-rows").addEventListener("click", (ev) => {
      const button = ev.target.closest("button[data-unwatch]");
      if (button) this.remove(button.dataset.unwatch);
    });
  },

  async load() {
    this.build();
    const [rows, trail] = await Promise.all([api("/api/watchlist"), api("/api/watchlist/audit")]);
    const body = this.section.querySelector("#watch-rows");
    body.replaceChildren(...rows.map((w) => el("tr", { "data-testid": "watch-row", "data-plate": w.plate },
      el("td", { class: "plate", text: w.plate }), el("td", { text: w.reason }),
      el("td", { text: w.added_by || "" }), el("td", { text: ewI18n.time(w.added_at) }),
      el("td", {}, el("button", { text: t("watch.remove"), "data-unwatch": w.plate })))));
    if (!rows.length) {
      body.append(el("tr", {}, el("td", { colSpan: 5, class: "empty", text: t("watch.empty") })));
    }
    this.section.querySelector("#watch-audit-rows").replaceChildren(...trail.map((a) => el("tr",
      { "data-testid": "watch-audit-row" },
      el("td", { text: ewI18n.time(a.at) }), el("td", { text: t(`watch.action.${a.action}`) }),
      el("td", { class: "plate", text: a.plate }), el("td", { text: a.actor }),
      el("td", { text: a.reason || "" }), el("td", { text: a.note || "" }))));
  },

  // The store's own rule (store.watchlist.watchlist_plate), checked here to answer in words.
  plateProblem(raw) {
    const plate = raw.toUpperCase().replace(/[^A-Z0-9]/g, "");
    return plate.length < 4 || plate.length > 12 || !/[0-9]/.test(plate) ? "watch.bad_plate" : null;
  },

  say(key, vars, ok = true) {
    const box = this.section.querySelector("#watch-result");
    box.className = ok ? "message" : "error";
    box.textContent = t(key, vars);
  },

  async add(form) {
    const plate = form.plate.value.trim(), reason = form.reason.value.trim();
    const problem = this.plateProblem(plate) || (reason ? null : "watch.need_reason");
    if (problem) { this.say(problem, {}, false); return; }
    try {
      const done = await api("/api/watchlist", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ plate, reason, note: form.note.value.trim() || null }),
      });
      form.reset();
      this.say(`watch.done.${done.change}`, { plate: done.entry.plate });
      showError(null);
      await this.load();
    } catch (err) { showError(err); }
  },

  async remove(plate) {
    if (!window.confirm(t("watch.confirm_remove", { plate }))) return;
    try {
      await api(`/api/watchlist/${encodeURIComponent(plate)}`, { method: "DELETE" });
      this.say("watch.done.removed", { plate });
      showError(null);
      await this.load();
    } catch (err) { showError(err); }
  },
};

document.querySelector('.tab[data-view="watchlist"]')
  .addEventListener("click", () => watchView.load().catch(showError));
document.addEventListener("ew:lang", () => {
  if (watchView.built && !watchView.section.hidden) watchView.load().catch(showError);
});
