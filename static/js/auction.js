/*
 * The live bidding page (templates/bidding/auctions/live.html): the price board, the countdown, the bid
 * log and a bidder's controls.
 *
 * - The server's clock rules. Each board fetch measures the offset between the server time it carries
 *   and the middle of the request's round trip; the countdown is ends_at − (browser time + offset).
 * - Live updates come from the trade's audit stream (/live/trades/<id>, monitor/live/streams.py): each
 *   accepted bid is a public entry (auction_live_bids with a seq, its amount, paddle, arrival and the
 *   countdown's new end), applied at once; changes of the round row or the trade fetch the board again.
 *   The stream URL starts after the log's head when the page was rendered (?after=), and the browser
 *   reconnects by itself with Last-Event-ID: the stream resumes exactly after the last event seen. The
 *   board is fetched again on each (re)connection, so the countdown and the price are right after it.
 * - A bid carries a client_ref (a UUID): a retry after a network error sends the same one, so it counts
 *   once. A refusal's message comes from the server in the page's language.
 *
 * No inline script: the CSP is script-src 'self'.
 */
import { makeWhen, openStream } from "./live.js";

const root = document.getElementById("auction");
const $ = (id) => document.getElementById(id);

function money(value) {
  if (value === null || value === undefined || value === "") return "—";
  const [whole, cents = "00"] = String(value).split(".");
  const sign = whole.startsWith("-") ? "-" : "";
  return `${sign}¥${whole.replace("-", "").replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents.padEnd(2, "0")}`;
}

// Decimal strings as whole fen (BigInt): amounts are never floats
function fen(value) {
  const [whole, cents = ""] = String(value).trim().split(".");
  if (!/^\d+$/.test(whole) || !/^\d{0,2}$/.test(cents)) return null;
  return BigInt(whole) * 100n + BigInt((cents + "00").slice(0, 2));
}
function yuan(f) {
  const s = f.toString().padStart(3, "0");
  return `${s.slice(0, -2)}.${s.slice(-2)}`;
}

function uuid() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = new Uint8Array(16);
  window.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function setup() {
  const labels = JSON.parse(root.dataset.labels || "{}");
  const when = makeWhen(root.dataset.timezone || "Asia/Shanghai");
  const hms = (iso) => (iso ? when(iso).slice(11) : "—");
  let board = JSON.parse(root.dataset.board || "{}");
  let offset = Date.parse(board.server_time) - Date.now(); // refined by each fetch
  let lastSeq = Math.max(0, ...(board.bids || []).map((b) => b.seq));
  let fetching = null;
  let again = false;

  const text = (id, value) => { const node = $(id); if (node && node.textContent !== String(value)) node.textContent = value; };

  function renderWinner() {
    const node = $("a-winner");
    const over = board.state === "closed" || board.state === "ended";
    if (!over) { node.hidden = true; return; }
    const paddle = board.winner_paddle ?? board.leader_paddle;
    let message = labels.no_winner;
    if (paddle && board.accepted_count > 0) message = labels.winner;
    else if (paddle) message = labels.listing_winner;
    node.textContent = message.replace("{paddle}", paddle).replace("{price}", money(board.price));
    node.hidden = false;
  }

  function render() {
    const state = $("a-state");
    state.dataset.state = board.state;
    text("a-state", (labels.states || {})[board.state] || board.state);
    text("a-price", money(board.price));
    text("a-upper", board.price_upper_zh || "—");
    text("a-leader", board.leader_paddle ?? "—");
    text("a-premium", money(board.premium));
    text("a-premium-rate", board.premium_rate ?? "—");
    text("a-increment", money(board.increment));
    text("a-count", board.accepted_count);
    if ($("a-next")) text("a-next", money(board.next_minimum));
    const controls = $("a-controls");
    if (controls) {
      controls.hidden = !board.entered;
      const leading = board.my_paddle && board.leader_paddle === board.my_paddle;
      const may = board.state === "open" && board.entered && !leading && countdownLeft() > 0;
      $("a-plus-one").disabled = !may;
      $("a-bid").disabled = !may;
      $("a-plus-one").textContent = board.next_minimum
        ? labels.bid_for.replace("{amount}", money(board.next_minimum)) : $("a-plus-one").textContent;
      $("a-amount").placeholder = board.next_minimum || "";
    }
    renderWinner();
    tick();
  }

  function addBid(bid) {
    if (bid.seq <= lastSeq) return;
    lastSeq = bid.seq;
    const row = document.createElement("tr");
    row.dataset.seq = bid.seq;
    if (board.my_paddle && bid.paddle === board.my_paddle) row.className = "mine";
    for (const value of [bid.seq, bid.paddle, money(bid.amount), hms(bid.at)]) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.append(cell);
    }
    $("a-log").prepend(row);
    $("a-log-empty").hidden = true;
  }

  async function fetchBoard() {
    if (fetching) { again = true; return fetching; }
    fetching = (async () => {
      try {
        const sent = Date.now();
        const response = await fetch(root.dataset.boardUrl, { credentials: "same-origin", cache: "no-store" });
        const got = Date.now();
        if (!response.ok) return;
        const fresh = await response.json();
        offset = Date.parse(fresh.server_time) - (sent + got) / 2;
        board = fresh;
        for (const bid of fresh.bids || []) addBid(bid);
        render();
        root.dataset.synced = "true";
      } catch (_e) {
        // offline for a moment: the stream's reconnection fetches again
      } finally {
        fetching = null;
        if (again) { again = false; fetchBoard(); }
      }
    })();
    return fetching;
  }

  // ---- the countdown --------------------------------------------------------------------------------
  function countdownLeft() {
    if (board.state !== "open" || !board.ends_at) return 0;
    return Date.parse(board.ends_at) - (Date.now() + offset);
  }
  let askedAtZero = false;
  function tick() {
    const serverNow = new Date(Date.now() + offset);
    text("a-server-time", hms(serverNow.toISOString()));
    const node = $("a-countdown");
    if (board.state !== "open") {
      text("a-countdown", board.state === "confirming" && board.confirm_until
        ? clock(Date.parse(board.confirm_until) - (Date.now() + offset)) : "—");
      node.classList.remove("passed");
      return;
    }
    const left = countdownLeft();
    text("a-countdown", clock(left));
    node.classList.toggle("passed", left <= 0);
    node.classList.toggle("urgent", left > 0 && left <= 30000);
    if (left <= 0 && !askedAtZero) {
      askedAtZero = true; // the server says whether a last bid moved the end meanwhile
      fetchBoard();
    } else if (left > 0) {
      askedAtZero = false;
    }
  }
  function clock(ms) {
    const s = Math.max(0, Math.ceil(ms / 1000));
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }
  setInterval(tick, 250);

  // ---- the live stream ------------------------------------------------------------------------------
  let refetch = null;
  const soon = () => { if (!refetch) refetch = setTimeout(() => { refetch = null; fetchBoard(); }, 150); };
  openStream(root.dataset.streamUrl, {
    onOpen: () => { text("a-stream", ""); fetchBoard(); },
    onError: () => text("a-stream", labels.stream_lost),
    onEvent: (entry) => {
      const action = String(entry.action || "");
      const after = entry.after || {};
      if (action === "auction_live_bids.insert" && after.seq !== null && after.seq !== undefined) {
        // apply at once: the price, the leader and the countdown's new end are in the entry
        if (after.seq > (board.accepted_count || 0)) {
          board.price = after.amount;
          board.leader_paddle = after.paddle;
          board.accepted_count = after.seq;
          board.ends_at = after.ends_at;
        }
        addBid({ seq: after.seq, paddle: after.paddle, amount: after.amount, at: after.received_at });
        render();
        soon(); // the capital numerals, the premium and the next minimum
      } else if (action.startsWith("auction_rounds.") || action.startsWith("auction_round_entrants.")
                 || action === "trades.update" || action === "trade_transitions.insert") {
        soon();
      }
    },
  });

  // ---- bidding --------------------------------------------------------------------------------------
  const message = (textValue, kind) => {
    const node = $("a-message");
    if (!node) return;
    node.textContent = textValue;
    node.className = `flash ${kind}`;
    node.hidden = false;
  };

  async function send(amount) {
    const ref = uuid();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      let response;
      try {
        response = await fetch(root.dataset.bidUrl, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": root.dataset.csrf },
          body: JSON.stringify({ amount, client_ref: ref }),
        });
      } catch (_e) {
        message(labels.network, "warning");
        await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
        continue; // the same client_ref: never counted twice
      }
      let body = {};
      try { body = await response.json(); } catch (_e) { body = {}; }
      if (response.status === 201 || response.status === 200) {
        message(labels.accepted.replace("{amount}", money(body.amount)), "success");
      } else {
        const fields = body.errors ? Object.values(body.errors).flat().join(" ") : "";
        message(body.message ? `${body.message}${fields && !body.message.includes(fields) ? ` ${fields}` : ""}`
          : labels.failed, "error");
      }
      fetchBoard();
      return;
    }
    message(labels.failed, "error");
  }

  const plusOne = $("a-plus-one");
  if (plusOne) {
    plusOne.addEventListener("click", () => { if (board.next_minimum) send(board.next_minimum); });
    $("a-typed").addEventListener("submit", (event) => {
      event.preventDefault();
      const raw = $("a-amount").value.replace(/[,\s¥]/g, "");
      const f = fen(raw);
      send(f === null ? raw : yuan(f)); // the server names what is wrong with a bad amount
    });
  }
  render();
}

if (root) setup();
