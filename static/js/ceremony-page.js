/*
 * The opening ceremony page (templates/bidding/ceremony.html): a countdown to the opening time, and
 * the live state fetched from the page's JSON endpoint (session cookie; the same body as
 * GET /api/v1/trades/<id>/ceremony). Only the parts that changed are rewritten, so a screen reader
 * (aria-live="polite") hears news, not the whole page, and a half-typed answer is not wiped.
 *
 * The state is fetched again as soon as the trade's live stream (/live/trades/<id>, monitor/live/streams.py)
 * reports an audit entry, and otherwise polled: every 2 s, or every 15 s while the stream is open and
 * carries everything that changes the ceremony for this viewer (data-stream-complete: the branches
 * of the trade's centre; bidders receive only the public entries and their own, so they keep 2 s).
 *
 * Every text a person reads comes from the page's data-* attributes, translated on the server.
 * No inline script: the CSP is script-src 'self'.
 */
import { makeWhen, openStream } from "./live.js";

const $ = (id) => document.getElementById(id);
const root = $("ceremony");

// ---- helpers --------------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "className") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}


function money(price) {
  if (!price) return "—";
  const [whole, cents = "00"] = String(price).split(".");
  return `¥${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents.padEnd(2, "0")}`;
}

// ---- countdown ------------------------------------------------------------------------------------

function startCountdown(node) {
  // The server's clock rules: offset the browser's clock by the difference seen at page load.
  const target = Date.parse(node.dataset.deadline);
  const offset = Date.parse(node.dataset.now) - Date.now();
  if (Number.isNaN(target)) return;
  const pad = (n) => String(n).padStart(2, "0");
  let timer = null;
  const tick = () => {
    const left = target - (Date.now() + offset);
    if (left <= 0) {
      node.textContent = node.dataset.labelPassed;
      node.classList.add("passed");
      if (timer) clearInterval(timer);
      return;
    }
    const s = Math.floor(left / 1000);
    const days = Math.floor(s / 86400);
    const clock = `${pad(Math.floor((s % 86400) / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
    node.textContent = `${node.dataset.labelLeft} ${days > 0 ? `${days}${node.dataset.labelDays} ` : ""}${clock}`;
  };
  tick();
  timer = setInterval(tick, 1000);
}

// ---- the live state -------------------------------------------------------------------------------

function setupLive() {
  const msg = root.dataset;
  const labels = JSON.parse(msg.labels || "{}");
  const when = makeWhen(msg.timezone || "Asia/Shanghai");
  const canAnswer = msg.canAnswer === "true";
  const last = {}; // section -> JSON of what it shows now
  const changed = (name, value) => {
    const text = JSON.stringify(value);
    if (last[name] === text) return false;
    last[name] = text;
    return true;
  };
  const sideLabel = (side) => (labels.sides || {})[side] || side;

  const phaseOf = (s) => (s.finished_at ? "finished" : s.started ? "open" : "waiting");

  function renderPhase(state) {
    const phase = phaseOf(state);
    if (changed("phase", [phase, state.outcome, state.reason])) {
      root.dataset.phase = phase;
      const p = $("c-phase");
      // a failed opening (流标) is never shown as a success
      const failed = phase === "finished" && Boolean(state.outcome) && state.outcome !== "opened";
      p.textContent = failed ? msg.msgFailed : msg[`msg${phase[0].toUpperCase()}${phase.slice(1)}`];
      p.className = `status phase-${phase}${failed ? " failed" : ""}`;
      const hint = $("c-finished-hint");
      if (hint) hint.textContent = failed ? hint.dataset.msgFailed : hint.dataset.msgDone;
      const none = $("c-no-results");
      none.textContent = failed ? none.dataset.msgFailed : none.dataset.msgWaiting;
      $("c-outcome").hidden = !state.outcome;
      $("c-outcome-label").textContent = (labels.outcomes || {})[state.outcome] || "";
      $("c-reason").textContent = state.reason || "";
      for (const node of document.querySelectorAll("[data-phases]")) {
        node.hidden = !node.dataset.phases.split(" ").includes(phase);
      }
    }
  }

  function renderTradeState(state) {
    if (!changed("state", state.state)) return;
    const badge = document.querySelector("#c-trade-state .badge");
    if (!badge) return;
    badge.textContent = (labels.states || {})[state.state] || state.state;
    badge.className = `badge state-${state.state}`;
  }

  function renderSides(state) {
    const sides = state.sides || {};
    if (!changed("sides", sides)) return;
    const body = $("c-sides").tBodies[0];
    body.replaceChildren(...Object.entries(sides).map(([side, row]) => el("tr",
      { "data-side": side, className: row.released >= row.threshold ? "enough" : "short" },
      el("td", {}, sideLabel(side)), el("td", { className: "released" }, row.released),
      el("td", { className: "threshold" }, row.threshold), el("td", {}, row.holders))));
  }

  function renderReleases(state) {
    const finished = Boolean(state.finished_at);
    if (!changed("releases", [state.releases, finished])) return;
    const list = $("c-releases");
    if (!state.releases.length) {
      list.replaceChildren(el("li", { className: "empty" }, msg.msgNoReleases));
      return;
    }
    list.replaceChildren(...state.releases.map((r) => el("li", {},
      `${r.keyholder} (${sideLabel(r.side)}) · `, el("time", {}, when(r.released_at)),
      finished ? null : ` · ${r.held ? msg.msgHeld : msg.msgNotHeld}`)));
  }

  function renderEntries(state) {
    if (!changed("entries", [state.entries, state.record_sha256, state.outcome])) return;
    const failed = Boolean(state.finished_at) && Boolean(state.outcome) && state.outcome !== "opened";
    const shown = (e) => (failed && e.status === "opened" ? (e.price ? "opened_failed" : "not_opened") : e.status);
    const opened = state.entries !== null && state.entries !== undefined;
    $("c-no-results").hidden = opened;
    const table = $("c-entries");
    table.hidden = !opened;
    table.tBodies[0].replaceChildren(...(state.entries || []).map((e) => {
      const figures = [];
      for (const [k, v] of Object.entries(e.figures || {})) {
        if (v === "" || v === null || v === undefined) continue;
        if (figures.length) figures.push(el("br"));
        figures.push(`${(labels.figures || {})[k] || k}: ${v}`);
      }
      return el("tr", { "data-status": e.status },
        el("td", { className: "bidder" }, e.bidder),
        el("td", { className: "price" }, money(e.price)),
        el("td", { className: "figures" }, figures),
        el("td", { className: "status-cell", "data-shown": shown(e) }, (labels.statuses || {})[shown(e)] || shown(e),
          e.reason ? [el("br"), el("small", { className: "reason" }, e.reason)] : null));
    }));
    $("c-record").hidden = !state.record_sha256;
    $("c-record-sha256").textContent = state.record_sha256 || "";
  }

  function objectionItem(o) {
    const who = o.own ? msg.msgOwn : o.bidder || msg.msgABidder;
    const item = el("li", { "data-id": o.id, className: "objection" },
      el("p", { className: "meta" }, el("time", {}, when(o.at)), ` · ${who}`),
      el("p", { className: "objection-text" }, o.text));
    if (o.answer) {
      item.append(el("p", { className: "answer" }, el("strong", {}, msg.msgAnswer), " ",
        el("time", {}, when(o.answered_at)), el("br"), el("span", { className: "answer-text" }, o.answer)));
    } else {
      item.append(el("p", { className: "meta unanswered" }, msg.msgUnanswered));
      if (canAnswer) {
        const action = msg.answerUrl.replace(/\/objections\/0\/answer$/, `/objections/${o.id}/answer`);
        item.append(el("form", { method: "post", className: "answer-form", action },
          el("input", { type: "hidden", name: "csrf_token", value: msg.csrf }),
          el("label", { for: `answer-${o.id}` }, msg.msgYourAnswer),
          el("textarea", { id: `answer-${o.id}`, name: "text", rows: "2", maxlength: "4000", required: true }),
          el("button", { type: "submit" }, msg.msgAnswerButton)));
      }
    }
    return item;
  }

  function renderObjections(state) {
    const list = $("c-objections");
    const empty = list.querySelector("li.empty");
    const seen = new Set();
    let previous = null;
    for (const o of state.objections) {
      const key = String(o.id);
      seen.add(key);
      const sig = JSON.stringify(o);
      let item = list.querySelector(`li[data-id="${key}"]`);
      // an item the server rendered (no data-sig yet) already shows this state: keep it as it is
      if (!item || (item.dataset.sig && item.dataset.sig !== sig)) {
        const fresh = objectionItem(o);
        if (item) item.replaceWith(fresh);
        else if (previous) previous.after(fresh);
        else list.prepend(fresh);
        item = fresh;
      }
      item.dataset.sig = sig;
      previous = item;
    }
    for (const item of list.querySelectorAll("li[data-id]")) {
      if (!seen.has(item.dataset.id)) item.remove();
    }
    if (empty) empty.hidden = state.objections.length > 0;
  }

  function renderSignatures(state) {
    if (!changed("signatures", state.signatures)) return;
    const list = $("c-signatures");
    if (!state.signatures.length) {
      list.replaceChildren(el("li", { className: "empty" }, msg.msgNoSignatures));
      return;
    }
    list.replaceChildren(...state.signatures.map((s) => el("li", {}, `${s.supervisor} · `,
      el("time", {}, when(s.signed_at)), ` · ${s.dissent ? `${msg.msgDissent}: ${s.dissent}` : msg.msgNoDissent}`)));
  }

  function render(state) {
    renderPhase(state);
    renderTradeState(state);
    renderSides(state);
    renderReleases(state);
    renderEntries(state);
    renderObjections(state);
    renderSignatures(state);
    root.dataset.polled = String(Number(root.dataset.polled || 0) + 1);
  }

  const status = $("c-poll");
  const interval = Number(msg.interval) || 2000;
  const slowInterval = Number(msg.slowInterval) || 15000;
  const streamComplete = msg.streamComplete === "true";
  let failures = 0;
  let timer = null;
  let inFlight = false;
  let pollAgain = false; // an event arrived while a poll was under way
  let stopped = false;
  let streaming = false;
  let source = null;

  function schedule(delay) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  function nextDelay() {
    const base = streaming && streamComplete ? slowInterval : interval;
    return document.hidden ? base * 2 : base;
  }

  async function poll() {
    if (inFlight) {
      pollAgain = true;
      return;
    }
    inFlight = true;
    try {
      const response = await fetch(msg.stateUrl, {
        credentials: "same-origin", cache: "no-store", redirect: "manual",
        headers: { Accept: "application/json" },
      });
      if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403
          || response.status === 404) {
        status.textContent = msg.msgPollStopped;
        stopped = true;
        if (source) source.close();
      } else if (!response.ok) {
        throw new Error(String(response.status));
      } else {
        render(await response.json());
        if (failures) status.textContent = "";
        failures = 0;
      }
    } catch (_e) {
      failures += 1;
      if (failures >= 2) status.textContent = msg.msgPollFailed;
    }
    inFlight = false;
    if (pollAgain) {
      pollAgain = false;
      schedule(0);
    } else {
      schedule(nextDelay());
    }
  }

  poll();
  source = openStream(msg.streamUrl, {
    onOpen: () => {
      streaming = true;
      root.dataset.stream = "open";
      schedule(0); // whatever changed before the stream opened; from now on the events tell
    },
    onEvent: () => {
      root.dataset.streamEvents = String(Number(root.dataset.streamEvents || 0) + 1);
      schedule(100); // a few entries of one change arrive together: fetch once
    },
    onError: () => {
      if (!streaming) return;
      streaming = false; // back to the quick poll until the browser has reconnected
      root.dataset.stream = "reconnecting";
      schedule(interval);
    },
  });
}

// ---- releasing my share (keyholders) ---------------------------------------------------------------

/*
 * The keyholder's browser fetches the sealed share and the wrapped key, unlocks the key with the
 * passphrase and opens the share here (keyholder-keys.js), then posts the form with the share
 * only: the passphrase input has no name, so no form post can carry it. A share pasted from the
 * offline tool is posted as it is. A wrong passphrase is found here and nothing is sent.
 */
function setupRelease(form) {
  const msg = form.dataset;
  const phrase = $("passphrase");
  const share = $("share");
  const error = $("release-error");
  const status = $("release-status");
  const button = $("release-button");
  const explain = {
    "wrong-passphrase": msg.msgWrong, "no-wrapped-key": msg.msgOffline, "key-mismatch": msg.msgMismatch,
    "legacy-key": msg.msgLegacy,
  };

  // Wrong passphrases are found here, so only this page can slow down guessing: from the third wrong
  // try on, the button rests 5 s, then 10, 20, up to 60. A courtesy, not a control: the real cost of a
  // guess is the key's PBKDF2 iterations (docs/key-custody.md).
  let wrong = 0;
  const rest = (seconds) => {
    button.disabled = true;
    status.textContent = msg.msgWait.replace("{n}", String(seconds));
    setTimeout(() => {
      button.disabled = false;
      status.textContent = "";
    }, seconds * 1000);
  };

  form.addEventListener("submit", async (event) => {
    if (share.value.trim() && !phrase.value) return; // a share from the offline tool: post it as it is
    event.preventDefault();
    if (button.disabled) return;
    error.textContent = "";
    button.disabled = true;
    try {
      status.textContent = msg.msgFetching;
      const response = await fetch(msg.shareUrl, {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw Object.assign(new Error(body.message || String(response.status)), { code: "server" });
      status.textContent = msg.msgOpening;
      const { openShare } = await import("./keyholder-keys.js");
      const opened = await openShare({ passphrase: phrase.value, material: body });
      share.value = opened.shareHex;
      phrase.value = "";
      form.submit();
    } catch (e) {
      error.textContent = explain[e.code] || `${msg.msgFailed} ${e.message}`;
      status.textContent = "";
      button.disabled = false;
      if (e.code === "wrong-passphrase") {
        phrase.select();
        wrong += 1;
        if (wrong >= 3) rest(Math.min(60, 5 * 2 ** (wrong - 3)));
      }
    }
  });
}

// ---- start ----------------------------------------------------------------------------------------

const countdown = $("countdown");
if (countdown) startCountdown(countdown);
if (root) setupLive();
const releaseForm = $("release-form");
if (releaseForm) setupRelease(releaseForm);
