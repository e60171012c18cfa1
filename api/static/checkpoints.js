// The checkpoints registry (GET /api/checkpoints, public): names in the page's language for the
// declarations view and the public form's list, and a filing's channel in words.
"use strict";
const ewCheckpoints = {
  list: [],
  byCode: new Map(),
  loading: null,
  // Loaded once per page; an unreachable registry leaves codes shown as they are.
  load() {
    this.loading ??= fetch("/api/checkpoints")
      .then((r) => (r.ok ? r.json() : []))
      .catch(() => [])
      .then((list) => {
        this.list = list;
        this.byCode = new Map(list.map((c) => [c.code.toLowerCase(), c]));
        return list;
      });
    return this.loading;
  },
  label(checkpoint) {
    return ewI18n.lang === "vi" ? checkpoint.name_vi : checkpoint.name_en;
  },
  name(code) {
    const known = this.byCode.get(String(code).toLowerCase());
    return known ? this.label(known) : String(code);
  },
  // A declaration's checkpoints: [] means any.
  names(codes) {
    return codes && codes.length ? codes.map((c) => this.name(c)).join(", ") : ewI18n.t("cp.any");
  },
  // web, csv, app, hotline, api ... in words; an unknown channel as it is.
  via(channel) {
    const key = `via.${channel}`;
    const words = ewI18n.t(key);
    return words === key ? String(channel) : words;
  },
};
