// Labels in Vietnamese and English; the choice is remembered in localStorage.
"use strict";
const EW_LABELS = {
  vi: {
    "app.title": "EntryWatch — Giám sát xe vào tỉnh",
    "nav.flags": "Cảnh báo", "nav.entries": "Lượt xe vào", "nav.declarations": "Khai báo",
    "nav.cameras": "Camera", "nav.key": "Khoá API", "lang.switch": "English",
    "live.on": "Trực tiếp", "live.off": "Mất kết nối — đang kết nối lại…",
    "key.title": "Nhập khoá API", "key.hint": "Khoá chỉ được giữ trong phiên trình duyệt này.",
    "key.save": "Lưu", "key.invalid": "Khoá không hợp lệ hoặc đã bị thu hồi.",
    "filter.status": "Trạng thái", "filter.reason": "Lý do", "filter.checkpoint": "Chốt",
    "filter.camera": "Camera", "filter.plate": "Biển số", "filter.since": "Từ",
    "filter.until": "Đến", "filter.apply": "Lọc", "filter.all": "Tất cả",
    "status.open": "Mới", "status.acknowledged": "Đã tiếp nhận", "status.resolved": "Đã xử lý",
    "reason.undeclared": "Chưa khai báo", "reason.expired": "Khai báo hết hạn",
    "reason.wrong_checkpoint": "Sai chốt", "reason.unreadable": "Không đọc được biển",
    "reason.declared": "Đã khai báo", "reason.watchlisted": "Xe trong danh sách theo dõi", "reason.probable": "Có thể đã khai báo",
    "col.photo": "Ảnh", "col.plate": "Biển số", "col.camera": "Camera", "col.checkpoint": "Chốt",
    "col.time": "Thời gian", "col.reason": "Lý do", "col.status": "Trạng thái",
    "col.actions": "Thao tác", "col.direction": "Hướng", "col.confidence": "Độ tin cậy",
    "col.outcome": "Kết quả", "col.driver": "Lái xe", "col.phone": "Điện thoại",
    "col.route": "Hành trình", "col.valid": "Hiệu lực", "col.via": "Kênh",
    "col.last_frame": "Khung hình cuối", "col.fps": "Khung/giây", "col.dropped": "Bỏ khung",
    "col.reconnects": "Kết nối lại", "col.inference": "Suy luận (ms)", "col.error": "Lỗi",
    "act.ack": "Tiếp nhận", "act.resolve": "Xử lý", "act.audit": "Lịch sử", "act.delete": "Xoá",
    "act.cancel": "Huỷ", "act.confirm": "Xác nhận", "act.close": "Đóng", "act.more": "Xem thêm",
    "act.prev": "Trang trước", "act.next": "Trang sau", "act.import": "Nhập CSV",
    "resolve.title": "Xử lý cảnh báo", "resolve.outcome": "Kết luận", "resolve.note": "Ghi chú",
    "ack.title": "Tiếp nhận cảnh báo",
    "outcome.declared_late": "Khai báo muộn", "outcome.misread": "Đọc sai biển số",
    "outcome.violation_confirmed": "Xác nhận vi phạm", "outcome.false_alarm": "Báo nhầm",
    "outcome.duplicate": "Trùng lặp", "outcome.other": "Khác",
    "audit.title": "Lịch sử xử lý", "audit.who": "Người thực hiện", "audit.when": "Lúc",
    "audit.action": "Hành động", "audit.note": "Ghi chú",
    "action.opened": "Tạo", "action.acknowledged": "Tiếp nhận", "action.resolved": "Xử lý",
    "empty": "Không có dữ liệu", "confirm.delete": "Xoá khai báo này?",
    "import.done": "Đã nhập {n} khai báo; {e} dòng lỗi.",
    "cam.ok": "Hoạt động", "cam.stale": "Không có hình", "cam.error": "Lỗi", "cam.stopped": "Dừng",
    "dir.inbound": "Vào", "dir.outbound": "Ra",
    "declare.title": "Khai báo phương tiện vào tỉnh",
    "declare.intro": "Vui lòng khai báo trước khi vào tỉnh. Các trường có dấu * là bắt buộc.",
    "declare.plate": "Biển số xe *", "declare.plate_hint": "Ví dụ: 75A-123.45 hoặc 75-B1 234.56",
    "declare.vehicle": "Loại xe", "declare.driver": "Họ tên lái xe *",
    "declare.phone": "Số điện thoại *", "declare.origin": "Đi từ *",
    "declare.destination": "Đến *", "declare.purpose": "Mục đích",
    "declare.checkpoints": "Chốt kiểm soát (để trống: bất kỳ)",
    "declare.from": "Có hiệu lực từ *", "declare.until": "Đến *", "declare.submit": "Gửi khai báo",
    "declare.ok": "Đã nhận khai báo số {id} cho xe {plate}.", "declare.error": "Chưa gửi được:",
    "vehicle.car": "Ô tô", "vehicle.motorcycle": "Xe máy", "vehicle.bus": "Xe khách",
    "vehicle.truck": "Xe tải", "vehicle.vehicle": "Khác",
  },
  en: {
    "app.title": "EntryWatch — Province entry monitoring",
    "nav.flags": "Flags", "nav.entries": "Entries", "nav.declarations": "Declarations",
    "nav.cameras": "Cameras", "nav.key": "API key", "lang.switch": "Tiếng Việt",
    "live.on": "Live", "live.off": "Disconnected — reconnecting…",
    "key.title": "Enter your API key", "key.hint": "The key is kept for this browser session only.",
    "key.save": "Save", "key.invalid": "Key not recognised or revoked.",
    "filter.status": "Status", "filter.reason": "Reason", "filter.checkpoint": "Checkpoint",
    "filter.camera": "Camera", "filter.plate": "Plate", "filter.since": "From",
    "filter.until": "To", "filter.apply": "Filter", "filter.all": "All",
    "status.open": "Open", "status.acknowledged": "Acknowledged", "status.resolved": "Resolved",
    "reason.undeclared": "Undeclared", "reason.expired": "Declaration expired",
    "reason.wrong_checkpoint": "Wrong checkpoint", "reason.unreadable": "Plate unreadable",
    "reason.declared": "Declared", "reason.watchlisted": "Watch-listed", "reason.probable": "Probably declared",
    "col.photo": "Photo", "col.plate": "Plate", "col.camera": "Camera",
    "col.checkpoint": "Checkpoint", "col.time": "Time", "col.reason": "Reason",
    "col.status": "Status", "col.actions": "Actions", "col.direction": "Direction",
    "col.confidence": "Confidence", "col.outcome": "Outcome", "col.driver": "Driver",
    "col.phone": "Phone", "col.route": "Route", "col.valid": "Valid", "col.via": "Via",
    "col.last_frame": "Last frame", "col.fps": "Frames/s", "col.dropped": "Dropped",
    "col.reconnects": "Reconnects", "col.inference": "Inference (ms)", "col.error": "Error",
    "act.ack": "Acknowledge", "act.resolve": "Resolve", "act.audit": "Audit", "act.delete": "Delete",
    "act.cancel": "Cancel", "act.confirm": "Confirm", "act.close": "Close", "act.more": "More",
    "act.prev": "Previous", "act.next": "Next", "act.import": "Import CSV",
    "resolve.title": "Resolve flag", "resolve.outcome": "Outcome", "resolve.note": "Note",
    "ack.title": "Acknowledge flag",
    "outcome.declared_late": "Declared late", "outcome.misread": "Plate misread",
    "outcome.violation_confirmed": "Violation confirmed", "outcome.false_alarm": "False alarm",
    "outcome.duplicate": "Duplicate", "outcome.other": "Other",
    "audit.title": "Audit", "audit.who": "Who", "audit.when": "When", "audit.action": "Action",
    "audit.note": "Note",
    "action.opened": "Opened", "action.acknowledged": "Acknowledged", "action.resolved": "Resolved",
    "empty": "Nothing to show", "confirm.delete": "Delete this declaration?",
    "import.done": "Imported {n} declarations; {e} rows rejected.",
    "cam.ok": "OK", "cam.stale": "Stale", "cam.error": "Error", "cam.stopped": "Stopped",
    "dir.inbound": "In", "dir.outbound": "Out",
    "declare.title": "Declare your vehicle before entering the province",
    "declare.intro": "Please declare before you drive in. Fields marked * are required.",
    "declare.plate": "Plate *", "declare.plate_hint": "e.g. 75A-123.45 or 75-B1 234.56",
    "declare.vehicle": "Vehicle", "declare.driver": "Driver's name *",
    "declare.phone": "Phone *", "declare.origin": "From *", "declare.destination": "To *",
    "declare.purpose": "Purpose", "declare.checkpoints": "Checkpoints (empty: any)",
    "declare.from": "Valid from *", "declare.until": "Valid until *",
    "declare.submit": "File declaration",
    "declare.ok": "Declaration {id} received for {plate}.", "declare.error": "Not filed:",
    "vehicle.car": "Car", "vehicle.motorcycle": "Motorbike", "vehicle.bus": "Bus",
    "vehicle.truck": "Truck", "vehicle.vehicle": "Other",
  },
};

const ewI18n = {
  lang: localStorage.getItem("entrywatch.lang") === "en" ? "en" : "vi",
  t(key, vars) {
    let text = (EW_LABELS[this.lang] || {})[key] ?? EW_LABELS.en[key] ?? key;
    for (const [k, v] of Object.entries(vars || {})) text = text.replace(`{${k}}`, String(v));
    return text;
  },
  apply(root = document) {
    document.documentElement.lang = this.lang;
    for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = this.t(el.dataset.i18n);
    for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
      el.placeholder = this.t(el.dataset.i18nPlaceholder);
    }
  },
  toggle() {
    this.lang = this.lang === "vi" ? "en" : "vi";
    localStorage.setItem("entrywatch.lang", this.lang);
    this.apply();
    document.dispatchEvent(new CustomEvent("ew:lang"));
  },
  time(iso) {
    if (!iso) return "";
    return new Date(iso).toLocaleString(this.lang === "vi" ? "vi-VN" : "en-GB");
  },
};
