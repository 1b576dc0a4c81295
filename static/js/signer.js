/*
 * Signing a form's act with the supervisor's own key (templates/signing/_signer.html): a form with
 * data-sign-kind is not sent as it is. First the page asks the platform for the exact statement of
 * the act (kind, subject, decision, dissent, signer, key, time: canonical JSON), signs its bytes with
 * the key this browser holds (signing-store.js), then sends the form with the statement and the
 * signature; the server checks the signature against the published key before it stores anything.
 *
 * data-sign-params: JSON of the statement request's fixed fields (trade_id, stage, checkpoint_id);
 * data-sign-decision / data-sign-dissent: the names of the form's decision and dissent fields.
 */
import { loadStored, sign } from "./signing-store.js";

const cfg = document.getElementById("signer").dataset;

function say(text) {
  const box = document.getElementById("signer-message");
  box.className = "flash error";
  box.textContent = text;
  box.hidden = false;
  box.scrollIntoView({ block: "nearest" });
}

function hidden(form, name, value) {
  let input = form.querySelector(`input[type=hidden][name="${name}"]`);
  if (!input) {
    input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    form.append(input);
  }
  input.value = value;
}

async function signForm(form) {
  const stored = await loadStored(cfg.user); // no key here: say so before asking the platform anything
  if (!stored) throw new Error(cfg.msgNoKey);
  const data = new FormData(form);
  const request = { kind: form.dataset.signKind, ...JSON.parse(form.dataset.signParams || "{}") };
  if (form.dataset.signDecision) request.decision = data.get(form.dataset.signDecision) || null;
  if (form.dataset.signDissent) request.dissent = data.get(form.dataset.signDissent) || null;
  const response = await fetch(cfg.statementUrl, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": cfg.csrf, Accept: "application/json" },
    body: JSON.stringify(request),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || response.statusText);
  if (stored.fingerprint !== body.fingerprint) throw new Error(cfg.msgNoKey);
  hidden(form, "statement", body.statement);
  hidden(form, "signature", await sign(stored.privateKey, body.statement));
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.signKind || form.dataset.signed) return;
  event.preventDefault();
  const button = form.querySelector("button[type=submit]");
  if (button) button.disabled = true;
  try {
    await signForm(form);
    form.dataset.signed = "1";
    form.submit();
  } catch (err) {
    say(`${cfg.msgFailed}: ${err.message || err}`);
    if (button) button.disabled = false;
  }
}, true);
