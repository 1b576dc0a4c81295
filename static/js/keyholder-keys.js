/*
 * A keyholder's personal key, on the keyholder's own machine (docs/key-custody.md). WebCrypto only:
 * ECDH P-256 for the key pair, PBKDF2-HMAC-SHA256 and AES-256-GCM to wrap it under the passphrase,
 * HPKE Open (sealer.js) to open the share. The passphrase and the private key never leave the page;
 * what goes to the platform is the public key and the wrapped key (enrolment) and the opened share
 * (the opening). The offline tool `python -m bidding.keyholders.cli` reads and writes the same blobs.
 *
 *   import { enrolKey, openShare } from "/static/js/keyholder-keys.js";
 *   const { publicKeyHex, wrappedKeyHex, fingerprintHex } = await enrolKey({ passphrase, iterations });
 *   const { shareHex } = await openShare({ passphrase, material });  // material: GET .../ceremony/share
 *
 * Personal key blob, version 2 (151 bytes; bidding/keyholders/keys.py documents both versions):
 *   "PRPK" ‖ 0x02 ‖ KDF 0x02 ‖ iterations (4) ‖ salt (16) ‖ public key (65) ‖ nonce (12)
 *   ‖ AES-256-GCM(PBKDF2-HMAC-SHA256(UTF-8(NFC(passphrase)), salt, iterations), nonce,
 *                 aad = the 103 bytes before it)(private scalar, 32)
 */
import { PRSBError, bytes as b, hpkeOpenBase } from "./sealer.js";

export const MIN_PASSPHRASE = 12;
export const DEFAULT_ITERATIONS = 600000;
const MAX_ITERATIONS = 50000000;
const BLOB_V2_LEN = 151;
const HEAD_V2_LEN = 103;
const SIDES = { 1: "execute", 2: "supervise" };
const utf8 = new TextEncoder();

/** Errors the key tools raise; `code`: weak-passphrase, wrong-passphrase, legacy-key, bad-key-blob,
 * bad-share, share-unopenable, key-mismatch, no-webcrypto. */
export class KeyToolError extends PRSBError {
  constructor(message, code) {
    super(message, code);
    this.name = "KeyToolError";
  }
}

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new KeyToolError("WebCrypto is not available: open the page over HTTPS", "no-webcrypto");
  return s;
}

export function fromHex(hex) {
  if (typeof hex !== "string" || !/^([0-9a-fA-F]{2})*$/.test(hex)) throw new KeyToolError("not hexadecimal bytes", "bad-input");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

function b64url(bytes) {
  let s = "";
  for (const x of bytes) s += String.fromCharCode(x);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(text) {
  const s = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** The passphrase as the Python twin reads it: NFC, at least 12 code points, then UTF-8. */
export function passphraseBytes(passphrase) {
  if (typeof passphrase !== "string") throw new KeyToolError("the passphrase must be text", "weak-passphrase");
  const nfc = passphrase.normalize("NFC");
  if (Array.from(nfc).length < MIN_PASSPHRASE) {
    throw new KeyToolError(`the passphrase must be at least ${MIN_PASSPHRASE} characters long`, "weak-passphrase");
  }
  return utf8.encode(nfc);
}

async function wrappingKey(passphrase, salt, iterations, usage) {
  const s = subtle();
  const base = await s.importKey("raw", passphraseBytes(passphrase), "PBKDF2", false, ["deriveBits"]);
  const raw = new Uint8Array(await s.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, 256));
  const key = await s.importKey("raw", raw, { name: "AES-GCM" }, false, [usage]);
  raw.fill(0);
  return key;
}

/** SHA-256 of the 65-byte public key, hex: the fingerprint the notice publishes. */
export async function keyFingerprint(publicKeyBytes) {
  return b.toHex(await b.sha256(publicKeyBytes));
}

/**
 * Make a personal key pair here and wrap its private half under the passphrase. Resolves to
 * {publicKeyHex, wrappedKeyHex, fingerprintHex}; nothing else survives the call.
 */
export async function enrolKey({ passphrase, iterations = DEFAULT_ITERATIONS } = {}) {
  const s = subtle();
  passphraseBytes(passphrase);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw new KeyToolError("the iteration count is out of range", "bad-input");
  }
  const pair = await s.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const publicKey = new Uint8Array(await s.exportKey("raw", pair.publicKey));
  const scalar = unb64url((await s.exportKey("jwk", pair.privateKey)).d);
  if (publicKey.length !== 65 || scalar.length !== 32) throw new KeyToolError("unexpected key encoding", "internal");
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const head = b.concat(utf8.encode("PRPK"), new Uint8Array([2, 2]), b.u32(iterations), salt, publicKey, nonce);
  const key = await wrappingKey(passphrase, salt, iterations, "encrypt");
  const sealed = new Uint8Array(await s.encrypt({ name: "AES-GCM", iv: nonce, additionalData: head, tagLength: 128 },
    key, scalar));
  scalar.fill(0);
  return {
    publicKeyHex: b.toHex(publicKey),
    wrappedKeyHex: b.toHex(b.concat(head, sealed)),
    fingerprintHex: await keyFingerprint(publicKey),
  };
}

/** The parts of a blob; a version 1 blob (made by the platform before re-enrolment) is refused here. */
export function parseBlob(blob) {
  const magic = String.fromCharCode(...blob.subarray(0, 4));
  if (magic === "PRPK" && blob[4] === 1) {
    throw new KeyToolError("this personal key was made by the platform under the old scheme: open it with the "
      + "offline tool (python -m bidding.keyholders.cli open-share), then enrol a new key", "legacy-key");
  }
  if (blob.length !== BLOB_V2_LEN || magic !== "PRPK" || blob[4] !== 2 || blob[5] !== 2) {
    throw new KeyToolError("not a version 2 personal key blob", "bad-key-blob");
  }
  const iterations = new DataView(blob.buffer, blob.byteOffset + 6, 4).getUint32(0);
  if (iterations < 1 || iterations > MAX_ITERATIONS) throw new KeyToolError("unreasonable PBKDF2 iterations", "bad-key-blob");
  return {
    iterations, salt: blob.subarray(10, 26), publicKey: blob.subarray(26, 91), nonce: blob.subarray(91, 103),
    head: blob.subarray(0, HEAD_V2_LEN), sealed: blob.subarray(HEAD_V2_LEN),
  };
}

/** The private key of a version 2 blob as an ECDH CryptoKey (not extractable), and its public key. */
export async function unwrapKey(wrappedKeyHex, passphrase) {
  const s = subtle();
  const parts = parseBlob(fromHex(wrappedKeyHex));
  const key = await wrappingKey(passphrase, parts.salt, parts.iterations, "decrypt");
  let scalar;
  try {
    scalar = new Uint8Array(await s.decrypt({ name: "AES-GCM", iv: parts.nonce, additionalData: parts.head, tagLength: 128 },
      key, parts.sealed));
  } catch (e) {
    throw new KeyToolError("this passphrase does not unlock your personal key", "wrong-passphrase");
  }
  const jwk = { kty: "EC", crv: "P-256", x: b64url(parts.publicKey.subarray(1, 33)),
    y: b64url(parts.publicKey.subarray(33, 65)), d: b64url(scalar) };
  scalar.fill(0);
  let privateKey;
  try {
    privateKey = await s.importKey("jwk", jwk, { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  } catch (e) {
    throw new KeyToolError("the blob's public key does not match its private key", "bad-key-blob");
  }
  return { privateKey, publicKey: new Uint8Array(parts.publicKey) };
}

/** HPKE info of a sealed share: "PRKS-v1 share" ‖ len(context) (2) ‖ context ‖ SHA-256(holder public key). */
async function shareInfo(context, holderPublicKey) {
  const ctx = utf8.encode(context);
  return b.concat(utf8.encode("PRKS-v1 share"), b.u16(ctx.length), ctx, await b.sha256(holderPublicKey));
}

/**
 * At the opening: unwrap the personal key with the passphrase, open the sealed share, check it is a
 * share of this trade's key for this holder's side, and return only the share encoding.
 * `material` is what GET /api/v1/trades/<id>/ceremony/share (or the page's twin) returns;
 * `wrappedKeyHex` overrides its wrapped_key (a blob the holder keeps offline).
 * Resolves to {shareHex, side, fingerprintHex} (fingerprintHex: of the key that opened it).
 */
export async function openShare({ passphrase, material, wrappedKeyHex } = {}) {
  const blobHex = wrappedKeyHex || material.wrapped_key;
  if (!blobHex) {
    throw new KeyToolError("your wrapped key is not kept on the platform: open your share with the offline tool",
      "no-wrapped-key");
  }
  const { privateKey, publicKey } = await unwrapKey(blobHex, passphrase);
  const fingerprintHex = await keyFingerprint(publicKey);
  if (fingerprintHex !== material.holder_fingerprint) {
    throw new KeyToolError("your key is not the one this share was sealed to (fingerprints differ): tell the "
      + "supervisors", "key-mismatch");
  }
  const sealed = fromHex(material.sealed_share);
  if (sealed[0] !== 1) throw new KeyToolError("not a version 1 sealed share", "bad-share");
  let share;
  try {
    share = await hpkeOpenBase(privateKey, publicKey, await shareInfo(material.context, publicKey), sealed.subarray(1));
  } catch (e) {
    throw new KeyToolError("this share was not sealed to your key for this trade", "share-unopenable");
  }
  // "PRKS" 0x01 ‖ side ‖ opening-key fingerprint (32) ‖ k ‖ x ‖ y (32)
  if (share.length !== 72 || String.fromCharCode(...share.subarray(0, 4)) !== "PRKS" || share[4] !== 1
      || SIDES[share[5]] !== material.side || b.toHex(share.subarray(6, 38)) !== material.opening_key_fingerprint) {
    throw new KeyToolError("the opened share is not a share of this trade's key for your side", "bad-share");
  }
  const shareHex = b.toHex(share);
  share.fill(0);
  return { shareHex, side: material.side, fingerprintHex };
}

const KeyTools = Object.freeze({ enrolKey, openShare, unwrapKey, keyFingerprint, parseBlob, KeyToolError });
globalThis.PRSBKeys = KeyTools;
export default KeyTools;
