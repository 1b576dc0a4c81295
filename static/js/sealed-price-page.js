/*
 * A price sealed in the browser and uploaded as an envelope: the sealed reserve (templates/bidding/auctions/
 * reserve.html, the decision branch) and a supplier's final quote (templates/procurement/negotiation_mine.html).
 * The person types the amount twice; this page seals {"price": amount, "trade": ref} with the bid sealer
 * (sealer.js) to the trade's opening key, with the form's bidder field and number as version, and uploads only
 * the envelope with its Content-Digest (session cookie + X-CSRFToken). The amount inputs have no name: no form
 * post can carry them. A form opts in with data-sealed-price; its fields are "<prefix>-amount", "-again",
 * "-error", "-status", "-button" where the form is "<prefix>-form". Every text a person reads comes from the
 * form's data-* attributes. No inline script: the CSP is script-src 'self'.
 */
import { checkSupport, fingerprintHex, sealBid } from "./sealer.js";

const $ = (id) => document.getElementById(id);
const AMOUNT = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$/;

function setup(form) {
  const msg = form.dataset;
  const prefix = form.id.replace(/-form$/, "");
  const amount = $(`${prefix}-amount`);
  const again = $(`${prefix}-again`);
  const error = $(`${prefix}-error`);
  const status = $(`${prefix}-status`);
  const button = $(`${prefix}-button`);
  let busy = false;

  const fail = (text, field) => {
    error.textContent = text;
    status.textContent = "";
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    error.textContent = "";
    amount.removeAttribute("aria-invalid");
    again.removeAttribute("aria-invalid");
    const value = amount.value.trim();
    if (!AMOUNT.test(value) || Number(value) <= 0) return fail(msg.msgAmount, amount);
    if (again.value.trim() !== value) return fail(msg.msgMismatch, again);
    busy = true;
    button.disabled = true;
    try {
      const support = await checkSupport();
      if (!support.ok) return fail(msg.msgSupport);
      if ((await fingerprintHex(msg.publicKey)) !== msg.fingerprint) return fail(msg.msgKey);
      status.textContent = msg.msgSealing;
      const sealed = await sealBid({
        publicKeyHex: msg.publicKey, tradeRef: msg.tradeRef, bidderId: msg.bidderId,
        version: Number(msg.seq), form: { price: value, trade: msg.tradeRef },
      });
      amount.value = "";
      again.value = "";
      status.textContent = msg.msgUploading;
      let response;
      try {
        response = await fetch(msg.uploadUrl, {
          method: "POST", body: sealed.envelope, credentials: "same-origin",
          headers: {
            "Content-Type": "application/octet-stream", "X-CSRFToken": msg.csrf, Accept: "application/json",
            "Content-Digest": sealed.contentDigest,
          },
        });
      } catch (e) {
        return fail(msg.msgNetwork);
      }
      const body = await response.json().catch(() => ({}));
      if (response.status !== 201) {
        const detail = body.errors ? Object.values(body.errors).flat().join("; ") : "";
        return fail(detail || body.message || `${msg.msgFailed} (${response.status})`);
      }
      status.textContent = `${msg.msgDone} ${body.sha256}`;
      form.dataset.sealed = body.sha256;
      setTimeout(() => window.location.reload(), 1500);
    } catch (e) {
      fail(`${msg.msgFailed} (${e && e.message ? e.message : e})`);
    } finally {
      busy = false;
      button.disabled = false;
    }
  });
}

document.querySelectorAll("form[data-sealed-price]").forEach(setup);
