/*
 * Live streams of the audit log (monitor/live/streams.py), shared by the pages that follow them.
 *
 * openStream(url, handlers) wraps an EventSource: the browser reconnects by itself and sends the
 * last event's id (Last-Event-ID), so the server resumes exactly after it: nothing is lost or
 * repeated. Each event's data is one audit entry as JSON (index, at, action, trade, centre, ref,
 * role, before, after...). summarise(entry, labels) is the JavaScript twin of
 * monitor.live.views.summary: the same words, from labels translated on the server.
 *
 * No inline script anywhere: the CSP is script-src 'self'.
 */

export function openStream(url, { onEvent, onOpen, onError } = {}) {
  if (!url || typeof window.EventSource !== "function") return null;
  const source = new EventSource(url);
  source.onopen = () => { if (onOpen) onOpen(); };
  source.onerror = () => {
    // CONNECTING: the browser retries by itself; CLOSED: it gave up (an HTTP error, e.g. 404)
    if (onError) onError(source.readyState === EventSource.CLOSED);
  };
  source.onmessage = (message) => {
    let entry;
    try {
      entry = JSON.parse(message.data);
    } catch (_e) {
      return;
    }
    if (onEvent) onEvent(entry, message.lastEventId);
  };
  return source;
}

export function summarise(entry, labels) {
  const action = String(entry.action || "");
  const states = labels.states || {};
  let text = (labels.actions || {})[action];
  if (text === undefined && action.startsWith("read.")) {
    const what = action.slice(5);
    text = `${labels.read}: ${(labels.reads || {})[what] || what}`;
  }
  if (text === undefined) {
    const dot = action.lastIndexOf(".");
    const table = dot >= 0 ? action.slice(0, dot) : "";
    const op = dot >= 0 ? action.slice(dot + 1) : action;
    text = `${(labels.tables || {})[table] || table || action}: ${(labels.ops || {})[op] || op}`;
  }
  const before = entry.before || {};
  const after = entry.after || {};
  const state = (value) => (value in states ? states[value] : value);
  if (action === "trade_transitions.insert" && after.to_state) {
    text += ` · ${state(after.from_state)} → ${state(after.to_state)}`;
  } else if (action === "trades.update" && after.state) {
    text += ` · ${state(before.state)} → ${state(after.state)}`;
  }
  return text;
}

export function makeWhen(timeZone) {
  // "sv-SE" writes 2026-03-02 09:00:00: the form the server renders
  let format = null;
  try {
    format = new Intl.DateTimeFormat("sv-SE", {
      timeZone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
    });
  } catch (_e) {
    format = null;
  }
  return (iso) => {
    if (!iso) return "—";
    const at = new Date(iso);
    if (Number.isNaN(at.getTime())) return iso;
    return format ? format.format(at) : at.toISOString();
  };
}
