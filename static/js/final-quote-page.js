/*
 * The final quote page of a competitive negotiation or consultation (templates/procurement/negotiation_mine.html):
 * the supplier types its final price twice, this page seals it with the bid sealer (sealer.js) to the trade's
 * opening key as the form {"price": amount, "trade": ref} with bidder field FINAL-<credit code> and the quote's
 * number as version, and uploads only the envelope with its Content-Digest (session cookie + X-CSRFToken). The
 * amount inputs have no name: no form post can carry them. Every text a person reads comes from data-* attributes.
 * No inline script: the CSP is script-src 'self'. (Made from reserve-page.js.)
 */
import { checkSupport, fingerprintHex, sealBid } from "./sealer.js";

const $ = (id) => document.getElementById(id);
const AMOUNT = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$/;

function setup(form) {
  const msg = form.dataset;
  const amount = $("quote-amount");
  const again = $("quote-again");
  const error = $("quote-error");
  const status = $("quote-status");
  const button = $("quote-button");
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

const form = $("quote-form");
if (form) setup(form);
