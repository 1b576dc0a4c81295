/*
 * The bid page (templates/bidding/bid.html): a deadline countdown, and sealing in the page.
 *
 * The price, note and files are read here, sealed with sealer.js to the trade's opening key, and
 * only the envelope (a Blob) is sent, with fetch(), to the page's upload endpoint, authenticated by
 * the session cookie and the CSRF token (X-CSRFToken). Every text a person reads comes from the
 * page's data-msg-* attributes, so it is translated on the server. No inline script: the CSP is
 * script-src 'self'.
 */
import { checkSupport, fingerprintHex, sealBid, sealerDeviceId } from "./sealer.js";

const $ = (id) => document.getElementById(id);

// ---- countdown --------------------------------------------------------------------------------

function startCountdown(el, onPassed) {
  // The server's clock rules: offset the browser's clock by the difference seen at page load.
  const deadline = Date.parse(el.dataset.deadline);
  const offset = Date.parse(el.dataset.now) - Date.now();
  if (Number.isNaN(deadline)) return;
  let timer = null;
  const pad = (n) => String(n).padStart(2, "0");
  const tick = () => {
    const left = deadline - (Date.now() + offset);
    if (left <= 0) {
      el.textContent = el.dataset.labelPassed;
      el.classList.add("passed");
      if (timer) clearInterval(timer);
      if (onPassed) onPassed();
      return;
    }
    const s = Math.floor(left / 1000);
    const days = Math.floor(s / 86400);
    const clock = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
    el.textContent = `${el.dataset.labelLeft} ${days > 0 ? `${days}${el.dataset.labelDays} ` : ""}${clock}`;
  };
  tick();
  timer = setInterval(tick, 1000);
}

// ---- withdraw confirmation ----------------------------------------------------------------------

for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

// ---- sealing and upload --------------------------------------------------------------------------

const PRICE_RE = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$/;
const DAYS_RE = /^[1-9][0-9]{0,5}$/;

function setupBidForm(form) {
  const msg = form.dataset;
  const button = $("seal-submit");
  const status = $("bid-status");
  const errorBox = $("bid-error");
  const progress = $("seal-progress");
  const progressRow = $("progress-row");
  const progressText = $("progress-text");
  const progressLabel = $("progress-label");
  let busy = false;
  let closed = false;

  const showError = (text) => {
    errorBox.textContent = text;
    errorBox.hidden = !text;
  };
  const fieldError = (id, text) => {
    const input = $(id);
    const box = $(`${id}-error`);
    if (box) box.textContent = text || "";
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const setProgress = (fraction, label) => {
    progressRow.hidden = false;
    if (label) progressLabel.textContent = label;
    if (fraction === null) { // indeterminate: the upload (fetch reports no upload progress)
      progress.removeAttribute("value");
      progress.removeAttribute("aria-valuenow");
      progressText.textContent = "";
      return;
    }
    const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
    progress.value = pct;
    progress.setAttribute("aria-valuenow", String(pct));
    progressText.textContent = `${pct}%`;
  };

  const countdown = $("countdown");
  if (countdown) {
    startCountdown(countdown, () => {
      closed = true;
      button.disabled = true;
      status.textContent = msg.msgDeadline;
    });
  }

  // Ready only when this browser can seal and the key matches the fingerprint shown to the bidder.
  (async () => {
    const support = await checkSupport();
    if (!support.ok) {
      showError(msg.msgSupport);
      return;
    }
    let fp;
    try {
      fp = await fingerprintHex(msg.publicKey);
    } catch (e) {
      fp = null;
    }
    if (fp !== msg.fingerprint) {
      showError(msg.msgKey);
      return;
    }
    if (!closed) button.disabled = false;
    form.dataset.ready = "true";
  })();

  // The size limit is checked here, before anything is sealed: a bidder never waits for a large file
  // to be encrypted only to hear it is too large (the platform still refuses an oversized envelope).
  const maxBytes = Number(msg.maxBytes) || 0;
  const sizeText = (n) => (n >= 1048576 ? `${(n / 1048576).toFixed(1).replace(/\.0$/, "")} MB` : `${Math.round(n / 1024)} KB`);
  const filesTooLarge = () => {
    const files = [...$("files").files];
    const total = files.reduce((sum, f) => sum + f.size, 0);
    // the envelope adds a header, each file's name and 16 bytes per 64 KiB chunk
    const estimate = total + 4096 + files.reduce((sum, f) => sum + f.name.length * 4 + 64, 0)
      + Math.ceil(total / 65536) * 16 + ($("note").value.length * 4);
    return maxBytes && estimate > maxBytes ? msg.msgFilesTooLarge.replace("{total}", sizeText(total)) : "";
  };
  $("files").addEventListener("change", () => fieldError("files", filesTooLarge()));

  const validate = () => {
    const price = $("price").value.trim();
    const days = $("duration_days").value.trim();
    let ok = true;
    if (!PRICE_RE.test(price) || /^[0.]+$/.test(price)) {
      fieldError("price", msg.msgPrice);
      ok = false;
    } else fieldError("price", "");
    if (!DAYS_RE.test(days)) {
      fieldError("duration_days", msg.msgDuration);
      ok = false;
    } else fieldError("duration_days", "");
    const tooLarge = filesTooLarge();
    fieldError("files", tooLarge);
    if (tooLarge) ok = false;
    return ok ? { price, days } : null;
  };

  const readError = async (response) => {
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) {
      try {
        const body = await response.json();
        if (body && body.message) return body.message;
      } catch (e) { /* fall through to the status */ }
    }
    if (response.status === 400) return msg.msgCsrf;
    if (response.status === 403) return msg.msgForbidden;
    if (response.status === 413) return msg.msgTooLarge;
    return msg.msgFailed;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy || closed || form.dataset.ready !== "true") return;
    showError("");
    status.textContent = "";
    const values = validate();
    if (!values) {
      (form.querySelector("[aria-invalid=true]") || $("price")).focus();
      return;
    }
    const fields = { price: values.price, duration_days: values.days };
    const note = $("note").value;
    if (note.trim()) fields.note = note;
    busy = true;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      let sealed;
      setProgress(0, msg.msgSealing);
      status.textContent = msg.msgSealing;
      try {
        sealed = await sealBid({
          publicKeyHex: msg.publicKey, tradeRef: msg.tradeRef, bidderId: msg.bidderId,
          version: Number(msg.version), form: fields, files: $("files").files,
          onProgress: (done, total) => setProgress(total ? done / total : 1),
        });
      } catch (e) {
        const code = e && e.code;
        if (code === "bad-price") fieldError("price", msg.msgPrice);
        else if (code === "bad-file" || code === "read-failed") fieldError("files", msg.msgFile);
        else if (code === "no-webcrypto") showError(msg.msgSupport);
        else showError(`${msg.msgFailed} (${e && e.message ? e.message : e})`);
        progressRow.hidden = true;
        status.textContent = "";
        return;
      }
      setProgress(null, msg.msgUploading);
      status.textContent = msg.msgUploading;
      let response;
      try {
        response = await fetch(msg.uploadUrl, {
          method: "POST", body: sealed.envelope, credentials: "same-origin",
          headers: {
            "Content-Type": "application/octet-stream", "X-CSRFToken": msg.csrf, Accept: "application/json",
            // RFC 9530: the platform signs a receipt only for exactly the bytes sealed here
            "Content-Digest": sealed.contentDigest,
            ...(sealerDeviceId() ? { "X-Sealer-Device": sealerDeviceId() } : {}),
          },
        });
      } catch (e) {
        showError(msg.msgNetwork);
        progressRow.hidden = true;
        status.textContent = "";
        return;
      }
      if (response.status !== 201) {
        showError(await readError(response));
        progressRow.hidden = true;
        status.textContent = "";
        return;
      }
      const body = await response.json();
      setProgress(1, msg.msgComplete);
      status.textContent = msg.msgDone;
      showReceipt(body, sealed);
      // The plaintext leaves the page's state as soon as it is no longer needed.
      form.reset();
      form.dataset.version = String(body.next_version);
      const heading = $("seal-version");
      if (heading) heading.textContent = heading.dataset.template.replace("{v}", String(body.next_version));
    } finally {
      busy = false;
      form.removeAttribute("aria-busy");
      if (!closed) button.disabled = false;
    }
  });
}

function showReceipt(body, sealed) {
  const receipt = body.receipt || {};
  $("r-trade").textContent = receipt.trade || body.trade;
  $("r-version").textContent = String(body.version);
  $("r-sha256").textContent = body.sha256;
  $("r-size").textContent = String(body.size);
  // shown in the platform's time zone like every other time; the exact signed value in the title
  const received = $("r-received");
  received.textContent = localTime(receipt.received_at || body.received_at, true);
  received.title = receipt.received_at || body.received_at;
  const save = $("r-save");
  save.href = body.receipt_url;
  save.setAttribute("download", `receipt-${receipt.trade || body.trade}-v${body.version}.json`);
  const section = $("receipt");
  section.dataset.sha256 = body.sha256;
  section.dataset.localSha256 = sealed.sha256Hex; // what this page computed: must equal the receipt's
  section.hidden = false;
  addRow(body);
  section.focus();
}

/** "YYYY-MM-DD HH:mm" in the browser's time zone, like the server-rendered rows (same time zone in practice). */
function localTime(iso, seconds = false) {
  // Shown in the platform's legal time zone (as every page is), not the bidder's computer's.
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const table = document.getElementById("own-bids");
  const timeZone = (table && table.dataset.timezone) || "Asia/Shanghai";
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(d).map((part) => [part.type, part.value]));
  const text = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
  return seconds ? `${text}:${parts.second}` : text;
}

function addRow(body) {
  const table = $("own-bids");
  if (!table) return;
  const tbody = table.tBodies[0];
  for (const row of tbody.querySelectorAll("tr[data-state=submitted]")) {
    row.dataset.state = "replaced";
    row.querySelector(".state").textContent = table.dataset.labelReplaced;
  }
  const empty = tbody.querySelector(".empty-row");
  if (empty) empty.hidden = true;
  const tr = document.createElement("tr");
  tr.dataset.version = String(body.version);
  tr.dataset.state = "submitted";
  const cell = (child, cls) => {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    td.append(child);
    tr.append(td);
  };
  cell(String(body.version));
  cell(table.dataset.labelSubmitted, "state");
  const time = document.createElement("time");
  time.dateTime = body.received_at;
  time.title = (body.receipt && body.receipt.received_at) || body.received_at;
  time.textContent = localTime(body.received_at);
  cell(time);
  const code = document.createElement("code");
  code.className = "hash";
  code.textContent = body.sha256;
  cell(code);
  const a = document.createElement("a");
  a.href = body.receipt_url;
  a.setAttribute("download", "");
  a.textContent = table.dataset.labelReceipt;
  cell(a);
  tbody.insertBefore(tr, empty || null);
  const withdraw = document.querySelector("form.withdraw");
  if (withdraw) withdraw.hidden = false;
}

const bidForm = $("bid-form");
if (bidForm) {
  setupBidForm(bidForm);
} else {
  const countdown = $("countdown");
  if (countdown) startCountdown(countdown);
}
