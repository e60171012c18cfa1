// Role-aware controls: an element marked data-needs-role="operator" (or "admin") is shown only
// to a key whose role may do that (GET /api/me), so nobody is offered a button that answers 403.
// Marked elements start hidden in the page and stay hidden until the role is known; elements
// the dashboard adds later are checked as they arrive.
"use strict";
const ewRole = {
  role: null,
  may: new Set(),
  allows(needed) { return this.may.has(needed); },
  apply(root = document) {
    const marked = [...root.querySelectorAll("[data-needs-role]")];
    if (root.matches && root.matches("[data-needs-role]")) marked.push(root);
    for (const node of marked) node.hidden = !this.allows(node.dataset.needsRole);
  },
  async refresh() {
    this.role = null;
    this.may = new Set();
    if (apiKey()) {
      try {
        const me = await api("/api/me");
        this.role = me.role;
        this.may = new Set(me.may);
      } catch (_) { /* no role: nothing marked is shown (app.js asks for a key on 401) */ }
    }
    document.body.dataset.role = this.role || "";
    this.apply();
    document.dispatchEvent(new CustomEvent("ew:role"));
  },
};

new MutationObserver((changes) => {
  for (const change of changes) {
    for (const node of change.addedNodes) if (node.nodeType === 1) ewRole.apply(node);
  }
}).observe(document.body, { childList: true, subtree: true });
$("#key-form").addEventListener("submit", () => ewRole.refresh());
ewRole.refresh();
