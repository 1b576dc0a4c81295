/*
 * The page "My signing key" (templates/signing/keys.html): make a key in this browser and publish its
 * public half, or load a backup file; say whether this browser holds the published key in force.
 * Texts come from the section's data-* attributes (translated on the server). No inline script.
 */
import { b64, keep, loadStored, makeKey, pem, readBackup } from "./signing-store.js";

const root = document.getElementById("my-key");
const msg = root.dataset;
const $ = (id) => document.getElementById(id);

function say(text, kind = "success") {
  const box = $("key-message");
  box.className = `flash ${kind}`;
  box.textContent = text;
  box.hidden = false;
}

async function showBrowserKey() {
  const stored = await loadStored(msg.user);
  const line = $("browser-key");
  line.replaceChildren();
  if (!stored) { line.textContent = msg.msgNone; return; }
  if (msg.registered && stored.fingerprint !== msg.registered) { line.textContent = msg.msgOther; return; }
  const code = document.createElement("code");
  code.className = "hash";
  code.id = "browser-fp";
  code.textContent = stored.fingerprint;
  line.append(`${msg.msgHere} `, code);
}

async function publish(key) {
  const response = await fetch(msg.registerUrl, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": msg.csrf, Accept: "application/json" },
    body: JSON.stringify({ public_key: b64(key.spki) }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || response.statusText);
  msg.registered = body.fingerprint;
  const shown = $("published-fp");
  shown.textContent = body.fingerprint;
}

$("make-key").addEventListener("click", async () => {
  if (msg.registered && !window.confirm(msg.msgConfirm)) return;
  try {
    const key = await makeKey();
    await publish(key);
    await keep(msg.user, key);
    const link = $("backup-link");
    link.href = URL.createObjectURL(new Blob([pem(key.pkcs8)], { type: "application/x-pem-file" }));
    link.download = `signing-key-${key.fingerprint.slice(0, 16)}.pem`;
    link.hidden = false;
    say(msg.msgMade);
  } catch (err) {
    say(`${msg.msgFailed}: ${err.message || err}`, "error");
  }
  await showBrowserKey();
});

$("load-key").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const key = await readBackup(await file.text());
    if (!msg.registered) await publish(key);
    else if (key.fingerprint !== msg.registered) throw new Error(msg.msgOther);
    await keep(msg.user, key);
    say(msg.msgLoaded);
  } catch (err) {
    say(`${msg.msgFailed}: ${err.message || err}`, "error");
  }
  await showBrowserKey();
});

showBrowserKey();
