/*
 * The supervision dashboard (templates/monitor/dashboard.html): the feed continues from the live
 * stream of the whole platform (newest first, in an aria-live list), and the panels (openings under
 * way, open cards, trades by stage) are fetched again shortly after the feed shows a change.
 * Every text comes from the page's data-* attributes, translated on the server.
 */
import { makeWhen, openStream, summarise } from "./live.js";

const root = document.getElementById("dashboard");
const MAX_LINES = 200;
const PANELS_DELAY_MS = 1000;

function line(entry, labels, when, tradeUrl) {
  const item = document.createElement("li");
  item.dataset.index = String(entry.index);
  item.dataset.action = String(entry.action || "");
  item.className = "fresh";
  const time = document.createElement("time");
  time.setAttribute("datetime", entry.at || "");
  time.textContent = when(entry.at);
  const text = document.createElement("span");
  text.className = "summary";
  text.textContent = summarise(entry, labels);
  item.append(time, " ", text);
  if (entry.trade !== null && entry.trade !== undefined) {
    const link = document.createElement("a");
    link.className = "ref";
    link.href = tradeUrl.replace(/\/0$/, `/${entry.trade}`);
    link.textContent = entry.ref || `#${entry.trade}`;
    item.append(" ", link);
  }
  const role = document.createElement("span");
  role.className = "meta";
  role.textContent = `· ${entry.role ? (labels.roles || {})[entry.role] || entry.role : labels.system}`;
  item.append(" ", role);
  return item;
}

function setup() {
  const msg = root.dataset;
  const labels = JSON.parse(msg.labels || "{}");
  const when = makeWhen(msg.timezone || "Asia/Shanghai");
  const feed = document.getElementById("feed");
  const status = document.getElementById("feed-status");
  const seen = new Set([...feed.querySelectorAll("li[data-index]")].map((li) => li.dataset.index));
  let panelsTimer = null;

  async function refreshPanels() {
    panelsTimer = null;
    try {
      const response = await fetch(msg.panelsUrl, { credentials: "same-origin", cache: "no-store", redirect: "manual" });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const id of ["panel-side", "panel-stages"]) {
        const now = document.getElementById(id);
        const next = fresh.getElementById(id);
        if (now && next) now.replaceWith(document.importNode(next, true));
      }
      root.dataset.panelsRefreshed = String(Number(root.dataset.panelsRefreshed || 0) + 1);
    } catch (_e) {
      // the next change tries again
    }
  }

  function onEvent(entry) {
    const key = String(entry.index);
    if (seen.has(key)) return;
    seen.add(key);
    const empty = feed.querySelector("li.empty");
    if (empty) empty.remove();
    for (const old of feed.querySelectorAll("li.fresh")) old.classList.remove("fresh");
    feed.prepend(line(entry, labels, when, msg.tradeUrl));
    while (feed.children.length > MAX_LINES) feed.lastElementChild.remove();
    root.dataset.received = String(Number(root.dataset.received || 0) + 1);
    if (!panelsTimer) panelsTimer = setTimeout(refreshPanels, PANELS_DELAY_MS);
  }

  const source = openStream(msg.streamUrl, {
    onEvent,
    onOpen: () => {
      status.textContent = msg.msgLive;
      root.dataset.stream = "open";
    },
    onError: (closed) => {
      status.textContent = closed ? msg.msgStopped : msg.msgReconnecting;
      root.dataset.stream = closed ? "closed" : "reconnecting";
    },
  });
  if (!source) status.textContent = msg.msgUnsupported;
}

if (root) setup();
