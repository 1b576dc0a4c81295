/*
 * The personal key page (templates/bidding/personal_key.html): makes the key pair and wraps it under
 * the passphrase in this browser (keyholder-keys.js), then posts the form with the public key and
 * the wrapped key only. The passphrase inputs have no name, so the form can never carry them.
 * If the holder pasted the offline tool's output instead, the form is posted as it is.
 */
import { enrolKey } from "./keyholder-keys.js";

const form = document.getElementById("enrol-form");

async function enrol(event) {
  const phrase = document.getElementById("passphrase");
  const again = document.getElementById("passphrase_confirm");
  const publicKey = document.getElementById("public_key");
  const wrapped = document.getElementById("wrapped_key");
  const error = document.getElementById("enrol-error");
  const status = document.getElementById("enrol-status");
  if (publicKey.value.trim() && !phrase.value) return; // the offline tool's output: post it as it is
  event.preventDefault();
  error.textContent = "";
  if (phrase.value !== again.value) {
    error.textContent = form.dataset.msgDiffer;
    return;
  }
  if (Array.from(phrase.value.normalize("NFC")).length < Number(form.dataset.minimum)) {
    error.textContent = form.dataset.msgShort;
    return;
  }
  const button = document.getElementById("enrol-button");
  button.disabled = true;
  status.textContent = form.dataset.msgWorking;
  try {
    const made = await enrolKey({ passphrase: phrase.value, iterations: Number(form.dataset.iterations) });
    publicKey.value = made.publicKeyHex;
    wrapped.value = made.wrappedKeyHex;
    phrase.value = "";
    again.value = "";
    form.submit();
  } catch (e) {
    error.textContent = `${form.dataset.msgFailed} ${e.message}`;
    status.textContent = "";
    button.disabled = false;
  }
}

// the "required" passphrase fields must not block a pasted offline enrolment
for (const id of ["passphrase", "passphrase_confirm"]) {
  document.getElementById(id).required = false;
}
form.noValidate = true;
form.addEventListener("submit", enrol);
