/*
 * The in-browser sealer: builds a sealed-bid envelope, format version 2 (docs/sealed-bid-format.md),
 * with WebCrypto only. The plaintext never leaves the page: it is read from File/Blob slices,
 * encrypted chunk by chunk, and the envelope comes back as a Blob.
 *
 *   import { sealBid, fingerprintHex } from "/static/js/sealer.js";
 *   const { envelope, sha256Hex, size, fingerprintHex, contentDigest } = await sealBid({
 *     publicKeyHex, tradeRef, bidderId, version, form: { price: "4815000.00", duration_days: "360" },
 *     files: [file1, file2], onProgress: (done, total) => { ... } });
 *
 * Upload `envelope` with the header `Content-Digest: ${contentDigest}` (RFC 9530): the platform
 * refuses an upload whose bytes differ from what was sealed.
 *
 * Loading it with <script type="module" src=".../sealer.js"> also sets window.PRSB (same API),
 * for page code that is not itself a module.
 *
 * HPKE (RFC 9180) base mode, DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM, is built here from
 * ECDH P-256, HMAC-SHA256 (HKDF-Extract/Expand with the exact labels) and AES-GCM.
 */

const FORMAT_VERSION = 2; // 2: the bound header declares the body length and chunk count
const KEM_ID = 0x0010; // DHKEM(P-256, HKDF-SHA256)
const KDF_ID = 0x0001; // HKDF-SHA256
const AEAD_ID = 0x0002; // AES-256-GCM
const MIN_CHUNK = 1024;
const MAX_CHUNK = 16777216;
const DEFAULT_CHUNK = 65536;
const SEALED_KEY_LEN = 113; // enc (65) + AES-GCM(32-byte key) (32 + 16)
const TAG_LEN = 16;
const RECORD_FORM = 0x01;
const RECORD_FILE = 0x02;
/** Blob slices are read in blocks of at least this size (then cut into chunks). */
const READ_BLOCK = 1 << 20;
/** onProgress is called at the start, at the end, and after at least this many more bytes. */
const PROGRESS_STEP = 256 * 1024;
/** Ciphertext parts are folded into an intermediate Blob every this many bytes. */
const FOLD_BYTES = 32 * 1024 * 1024;

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Every error the sealer raises on bad input or an unusable browser; `code` is machine-readable. */
export class PRSBError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "PRSBError";
    this.code = code;
  }
}

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) {
    throw new PRSBError("WebCrypto (crypto.subtle) is not available: the page must be served over "
      + "HTTPS (or from localhost)", "no-webcrypto");
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Bytes

function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function u16(n) {
  return new Uint8Array([(n >>> 8) & 0xff, n & 0xff]);
}

function u32(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

function u64(n) {
  // n is a safe integer (< 2^53)
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, Math.floor(n / 0x100000000));
  dv.setUint32(4, n >>> 0);
  return b;
}

function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function toBase64(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function isWellFormed(s) {
  if (typeof s.isWellFormed === "function") return s.isWellFormed();
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:^|[^\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** A UTF-8 text field: a non-empty, well-formed string of at most `max` bytes. */
function textField(value, what, max, code) {
  if (typeof value !== "string") throw new PRSBError(`${what} must be a string`, code);
  if (value.length === 0) throw new PRSBError(`${what} must not be empty`, code);
  if (!isWellFormed(value)) throw new PRSBError(`${what} contains an unpaired surrogate (not valid Unicode)`, code);
  const bytes = utf8.encode(value);
  if (bytes.length > max) throw new PRSBError(`${what} is too long (${bytes.length} bytes in UTF-8, at most ${max})`, code);
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// SHA-256, incremental (WebCrypto's digest takes the whole input at once; the envelope can be
// large and is never held in one buffer).

const SHA256_K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

class Sha256 {
  constructor() {
    this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Uint32Array(64);
    this.block = new Uint8Array(64);
    this.blockLen = 0;
    this.total = 0;
  }

  update(data) {
    const len = data.length;
    let pos = 0;
    this.total += len;
    if (this.blockLen > 0) {
      const take = Math.min(64 - this.blockLen, len);
      this.block.set(data.subarray(0, take), this.blockLen);
      this.blockLen += take;
      pos = take;
      if (this.blockLen === 64) {
        this.compress(this.block, 0);
        this.blockLen = 0;
      }
    }
    while (pos + 64 <= len) {
      this.compress(data, pos);
      pos += 64;
    }
    if (pos < len) {
      this.block.set(data.subarray(pos), 0);
      this.blockLen = len - pos;
    }
  }

  compress(buf, off) {
    const w = this.w;
    const h = this.h;
    for (let t = 0; t < 16; t++) {
      const i = off + 4 * t;
      w[t] = (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
    }
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15];
      const b = w[t - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (k + S1 + ch + SHA256_K[t] + w[t]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += k;
  }

  digest() {
    const bits = this.total * 8;
    const pad = new Uint8Array(((this.blockLen < 56 ? 56 : 120) - this.blockLen) + 8);
    pad[0] = 0x80;
    const dv = new DataView(pad.buffer);
    dv.setUint32(pad.length - 8, Math.floor(bits / 0x100000000));
    dv.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    const out = new Uint8Array(32);
    const odv = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) odv.setUint32(4 * i, this.h[i]);
    return out;
  }
}

async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

// ---------------------------------------------------------------------------------------------
// HKDF with HMAC-SHA256 (RFC 5869), and HPKE's labelled forms (RFC 9180 section 4)

async function hmacSha256(key, data) {
  const k = await subtle().importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle().sign("HMAC", k, data));
}

async function hkdfExtract(salt, ikm) {
  // RFC 5869: an absent salt is HashLen zero bytes (HMAC would pad an empty key to the same).
  return hmacSha256(salt.length ? salt : new Uint8Array(32), ikm);
}

async function hkdfExpand(prk, info, length) {
  if (length > 255 * 32) throw new PRSBError("HKDF-Expand length too large", "internal");
  const out = new Uint8Array(length);
  let t = EMPTY;
  for (let i = 1, pos = 0; pos < length; i++) {
    t = await hmacSha256(prk, concat(t, info, new Uint8Array([i])));
    out.set(t.subarray(0, Math.min(32, length - pos)), pos);
    pos += 32;
  }
  return out;
}

const HPKE_V1 = utf8.encode("HPKE-v1");
const KEM_SUITE_ID = concat(utf8.encode("KEM"), u16(KEM_ID));
const HPKE_SUITE_ID = concat(utf8.encode("HPKE"), u16(KEM_ID), u16(KDF_ID), u16(AEAD_ID));

function labeledExtract(suiteId, salt, label, ikm) {
  return hkdfExtract(salt, concat(HPKE_V1, suiteId, utf8.encode(label), ikm));
}

function labeledExpand(suiteId, prk, label, info, length) {
  return hkdfExpand(prk, concat(u16(length), HPKE_V1, suiteId, utf8.encode(label), info), length);
}

/** DHKEM(P-256) ExtractAndExpand: the KEM shared secret from the DH output and enc ‖ pkR. */
async function kemSharedSecret(dh, enc, pkRBytes) {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, EMPTY, "eae_prk", dh);
  return labeledExpand(KEM_SUITE_ID, eaePrk, "shared_secret", concat(enc, pkRBytes), 32);
}

/** HPKE KeySchedule, mode_base (0x00), psk = psk_id = "": the AES-256-GCM key (a CryptoKey) and base nonce. */
async function keyScheduleBase(sharedSecret, info, usage) {
  const pskIdHash = await labeledExtract(HPKE_SUITE_ID, EMPTY, "psk_id_hash", EMPTY);
  const infoHash = await labeledExtract(HPKE_SUITE_ID, EMPTY, "info_hash", info);
  const context = concat(new Uint8Array([0x00]), pskIdHash, infoHash);
  const secret = await labeledExtract(HPKE_SUITE_ID, sharedSecret, "secret", EMPTY);
  const key = await labeledExpand(HPKE_SUITE_ID, secret, "key", context, 32);
  const baseNonce = await labeledExpand(HPKE_SUITE_ID, secret, "base_nonce", context, 12);
  secret.fill(0);
  const aesKey = await subtle().importKey("raw", key, { name: "AES-GCM" }, false, [usage]);
  key.fill(0);
  return { aesKey, baseNonce };
}

/**
 * HPKE base mode single-shot Seal, DHKEM(P-256, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, aad empty.
 * Returns enc (65 bytes) ‖ ct. `ephemeral` (a CryptoKeyPair) is for test vectors only.
 */
async function hpkeSealBase(pkRBytes, pkR, info, plaintext, ephemeral) {
  const s = subtle();
  // Encap
  const kp = ephemeral || await s.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const enc = new Uint8Array(await s.exportKey("raw", kp.publicKey));
  if (enc.length !== 65 || enc[0] !== 0x04) throw new PRSBError("unexpected ephemeral key encoding", "internal");
  const dh = new Uint8Array(await s.deriveBits({ name: "ECDH", public: pkR }, kp.privateKey, 256));
  const sharedSecret = await kemSharedSecret(dh, enc, pkRBytes);
  dh.fill(0);
  const { aesKey, baseNonce } = await keyScheduleBase(sharedSecret, info, "encrypt");
  sharedSecret.fill(0);
  // Seal with sequence number 0: nonce = base_nonce xor 0 = base_nonce
  const ct = new Uint8Array(await s.encrypt({ name: "AES-GCM", iv: baseNonce, additionalData: EMPTY, tagLength: 128 },
    aesKey, plaintext));
  return concat(enc, ct);
}

/**
 * HPKE base mode single-shot Open (the same suite): `sealed` is enc (65 bytes) ‖ ct, `skR` the
 * recipient's ECDH P-256 private CryptoKey, `pkRBytes` its 65-byte public key. Rejects (PRSBError
 * "hpke-open") if the ciphertext was not sealed to this key with this info.
 */
export async function hpkeOpenBase(skR, pkRBytes, info, sealed) {
  const s = subtle();
  if (sealed.length < 65 + TAG_LEN || sealed[0] !== 0x04) throw new PRSBError("not an HPKE P-256 ciphertext", "hpke-open");
  const enc = sealed.subarray(0, 65);
  let pkE;
  try {
    pkE = await s.importKey("raw", enc, { name: "ECDH", namedCurve: "P-256" }, false, []);
  } catch (e) {
    throw new PRSBError("the HPKE encapsulated key is not a P-256 point", "hpke-open");
  }
  const dh = new Uint8Array(await s.deriveBits({ name: "ECDH", public: pkE }, skR, 256));
  const sharedSecret = await kemSharedSecret(dh, enc, pkRBytes);
  dh.fill(0);
  const { aesKey, baseNonce } = await keyScheduleBase(sharedSecret, info, "decrypt");
  sharedSecret.fill(0);
  try {
    return new Uint8Array(await s.decrypt({ name: "AES-GCM", iv: baseNonce, additionalData: EMPTY, tagLength: 128 },
      aesKey, sealed.subarray(65)));
  } catch (e) {
    throw new PRSBError("this ciphertext was not sealed to this key with this context", "hpke-open");
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** Parse and check the opening public key: 65-byte uncompressed SEC1 point, as hex. */
async function parsePublicKey(publicKeyHex) {
  if (typeof publicKeyHex !== "string") throw new PRSBError("the opening public key must be a hex string", "bad-key");
  const hex = publicKeyHex.replace(/\s+/g, "").toLowerCase();
  if (!/^[0-9a-f]*$/.test(hex) || hex.length % 2) {
    throw new PRSBError("the opening public key is not valid hex", "bad-key");
  }
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(2 * i, 2), 16);
  if (bytes.length === 33 && (bytes[0] === 0x02 || bytes[0] === 0x03)) {
    throw new PRSBError("the opening public key is a compressed point: the format needs the 65-byte "
      + "uncompressed encoding (04 ‖ X ‖ Y)", "bad-key");
  }
  if (bytes.length !== 65 || bytes[0] !== 0x04) {
    throw new PRSBError(`the opening public key must be a 65-byte uncompressed P-256 point (04 ‖ X ‖ Y, `
      + `130 hex characters); got ${bytes.length} bytes`, "bad-key");
  }
  let key;
  try {
    key = await subtle().importKey("raw", bytes, { name: "ECDH", namedCurve: "P-256" }, true, []);
  } catch (e) {
    throw new PRSBError("the opening public key is not a point on the P-256 curve", "bad-key");
  }
  return { bytes, key };
}

// The same rule as the platform's opener (bidding/crypto/records.py): digits, no leading zeros, at most
// 15 before the point and 2 after it, greater than zero. A bid it refused would be invalid at opening.
const PRICE_RE = /^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$/;
/** The opener refuses a form record larger than this. */
const MAX_FORM_BYTES = 1024 * 1024;

function checkForm(form) {
  if (form === null || typeof form !== "object" || Array.isArray(form)
    || (Object.getPrototypeOf(form) !== Object.prototype && Object.getPrototypeOf(form) !== null)) {
    throw new PRSBError("the form must be a plain object of strings", "bad-form");
  }
  for (const [key, value] of Object.entries(form)) {
    if (key.length === 0) throw new PRSBError("the form has an empty field name", "bad-form");
    if (!isWellFormed(key)) throw new PRSBError(`form field name ${JSON.stringify(key)} is not valid Unicode`, "bad-form");
    if (typeof value !== "string") {
      throw new PRSBError(`form field "${key}" must be a string (values are strings, e.g. "360"), `
        + `got ${value === null ? "null" : typeof value}`, "bad-form");
    }
    if (!isWellFormed(value)) throw new PRSBError(`form field "${key}" is not valid Unicode`, "bad-form");
  }
  if (!Object.prototype.hasOwnProperty.call(form, "price")) {
    throw new PRSBError('the form must have a "price"', "bad-price");
  }
  if (!PRICE_RE.test(form.price)) {
    throw new PRSBError(`the price must be a decimal in yuan with at most two decimals, like "4815000.00" `
      + `(digits only, no leading zeros, sign, separators or spaces); got ${JSON.stringify(form.price)}`,
    "bad-price");
  }
  if (/^[0.]+$/.test(form.price)) {
    throw new PRSBError(`the price must be greater than zero; got ${JSON.stringify(form.price)}`, "bad-price");
  }
}

function jsonString(s) {
  // Exactly Python's json encoder with ensure_ascii=False: escape " \ and control characters
  // below 0x20 (\b \f \n \r \t short forms, the rest \u00xx in lowercase); all else as is.
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c >= 0x20) out += s[i];
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else out += "\\u" + c.toString(16).padStart(4, "0");
  }
  return out + '"';
}

function compareCodePoints(a, b) {
  // Python orders str by code point; JS's default sort orders by UTF-16 code unit.
  const x = Array.from(a, (ch) => ch.codePointAt(0));
  const y = Array.from(b, (ch) => ch.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}

/**
 * The form as the envelope carries it: UTF-8 of
 * json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False).
 */
export function encodeForm(form) {
  checkForm(form);
  const keys = Object.keys(form).sort(compareCodePoints);
  const json = "{" + keys.map((k) => jsonString(k) + ":" + jsonString(form[k])).join(",") + "}";
  const bytes = utf8.encode(json);
  if (bytes.length > MAX_FORM_BYTES) {
    throw new PRSBError(`the form is too large (${bytes.length} bytes, at most ${MAX_FORM_BYTES}); attach long texts as files`, "bad-form");
  }
  return bytes;
}

function normaliseFiles(files) {
  if (files == null) return [];
  const list = Array.from(files);
  const seen = new Set();
  return list.map((f, i) => {
    let name;
    let data;
    if (typeof Blob !== "undefined" && f instanceof Blob) {
      name = f.name;
      data = f;
      if (name === undefined) throw new PRSBError(`file #${i + 1} is a Blob without a name: pass a File or {name, data}`, "bad-file");
    } else if (f && typeof f === "object") {
      name = f.name;
      data = f.data !== undefined ? f.data : f.blob;
    } else {
      throw new PRSBError(`file #${i + 1} must be a File or {name, data}`, "bad-file");
    }
    const nameBytes = textField(name, `the name of file #${i + 1}`, 0xffff, "bad-file");
    if (/[/\\\u0000]/.test(name) || name === "." || name === "..") {
      throw new PRSBError(`file name ${JSON.stringify(name)} must be a plain name (no folders, "/", "\\" or NUL)`, "bad-file");
    }
    if (seen.has(name)) {
      // custody keeps each file under its name: the opening revokes a bid that repeats one
      throw new PRSBError(`the bid repeats the file name ${JSON.stringify(name)}: each attached file needs its own name`, "bad-file");
    }
    seen.add(name);
    if (typeof Blob !== "undefined" && data instanceof Blob) {
      // keep it
    } else if (data instanceof ArrayBuffer) {
      data = new Uint8Array(data);
    } else if (ArrayBuffer.isView(data)) {
      data = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else {
      throw new PRSBError(`file "${name}" has no data (a Blob, ArrayBuffer or typed array)`, "bad-file");
    }
    return { nameBytes, data, size: data instanceof Uint8Array ? data.length : data.size };
  });
}

// ---------------------------------------------------------------------------------------------
// The plaintext as a virtual concatenation of byte arrays and Blobs, read C bytes at a time

class PartReader {
  constructor(parts) {
    this.parts = parts;
    this.idx = 0; // current part
    this.off = 0; // offset in the current part (for a Blob: how much of it has been read)
    this.buf = null; // the current Blob block
    this.bufOff = 0;
  }

  next() {
    this.idx++;
    this.off = 0;
    this.buf = null;
    this.bufOff = 0;
  }

  /** Exactly n bytes, fewer only at the end. */
  async read(n) {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n && this.idx < this.parts.length) {
      const p = this.parts[this.idx];
      if (p instanceof Uint8Array) {
        const take = Math.min(n - filled, p.length - this.off);
        out.set(p.subarray(this.off, this.off + take), filled);
        filled += take;
        this.off += take;
        if (this.off >= p.length) this.next();
        continue;
      }
      if (!this.buf || this.bufOff >= this.buf.length) {
        if (this.off >= p.size) {
          this.next();
          continue;
        }
        const end = Math.min(p.size, this.off + Math.max(n - filled, READ_BLOCK));
        let block;
        try {
          block = await p.slice(this.off, end).arrayBuffer();
        } catch (e) {
          throw new PRSBError("could not read a file: it was changed or removed while sealing, or the browser "
            + `ran out of storage for the envelope (private windows keep it in memory): ${e && e.message}`, "read-failed");
        }
        if (block.byteLength !== end - this.off) {
          throw new PRSBError("a file changed size while it was being sealed", "read-failed");
        }
        this.buf = new Uint8Array(block);
        this.bufOff = 0;
        this.off = end;
      }
      const take = Math.min(n - filled, this.buf.length - this.bufOff);
      out.set(this.buf.subarray(this.bufOff, this.bufOff + take), filled);
      filled += take;
      this.bufOff += take;
      if (this.bufOff >= this.buf.length && this.off >= p.size) this.next();
    }
    return filled === n ? out : out.subarray(0, filled);
  }
}

/** Collects the envelope's parts, hashing them on the way; folds them into Blobs as it grows. */
class Sink {
  constructor() {
    this.blobs = [];
    this.parts = [];
    this.partBytes = 0;
    this.size = 0;
    this.hash = new Sha256();
  }

  push(bytes) {
    this.hash.update(bytes);
    this.parts.push(bytes);
    this.size += bytes.length;
    this.partBytes += bytes.length;
    if (this.partBytes >= FOLD_BYTES) this.fold();
  }

  fold() {
    if (this.parts.length) this.blobs.push(new Blob(this.parts));
    this.parts = [];
    this.partBytes = 0;
  }

  finish() {
    this.fold();
    const digest = this.hash.digest();
    return { envelope: new Blob(this.blobs, { type: "application/octet-stream" }), sha256: digest, size: this.size };
  }
}

function chunkNonce(i, last) {
  const nonce = new Uint8Array(12); // 11-byte big-endian counter ‖ flag
  const dv = new DataView(nonce.buffer);
  dv.setUint32(3, Math.floor(i / 0x100000000));
  dv.setUint32(7, i >>> 0);
  nonce[11] = last ? 0x01 : 0x00;
  return nonce;
}

// ---------------------------------------------------------------------------------------------
// Public API

/** SHA-256 of the 65-byte uncompressed opening public key, as 64 lowercase hex characters. */
export async function fingerprintHex(publicKeyHex) {
  const { bytes } = await parsePublicKey(publicKeyHex);
  return toHex(await sha256(bytes));
}

/**
 * Seal a bid. Resolves to {envelope: Blob, sha256Hex, contentDigest, size, fingerprintHex,
 * plaintextSha256Hex}: the envelope, the SHA-256 (hex) and size in bytes of the envelope (as on the
 * platform's receipt), the Content-Digest header value to upload it with (RFC 9530), the opening key
 * fingerprint the envelope is bound to, and the SHA-256 of the plaintext (the records) for the
 * bidder's own records.
 *
 * files: File objects (or a FileList), or {name, data: Blob | ArrayBuffer | typed array}.
 * onProgress(doneBytes, totalBytes) counts plaintext bytes; called at the start, about every
 * 256 KiB and at the end. signal: an optional AbortSignal.
 * _unsafeFixed {fileKey: 32 bytes, ephemeralJwk: {d, x, y}}: fixed randomness, for test vectors only;
 * never pass it when sealing a real bid.
 */
export async function sealBid({
  publicKeyHex, tradeRef, bidderId, version, form, files = [], chunkSize = DEFAULT_CHUNK,
  onProgress, signal, _unsafeFixed,
} = {}) {
  const s = subtle();
  // -- inputs
  const { bytes: pkBytes, key: pk } = await parsePublicKey(publicKeyHex);
  const tradeBytes = textField(tradeRef, "the trade reference", 0xffff, "bad-trade");
  const bidderBytes = textField(bidderId, "the bidder identifier", 0xffff, "bad-bidder");
  const ver = typeof version === "string" && /^[0-9]+$/.test(version) ? Number(version) : version;
  if (!Number.isInteger(ver) || ver < 1 || ver > 0xffffffff) {
    throw new PRSBError(`the bid version must be an integer from 1 to 4294967295; got ${JSON.stringify(version)}`, "bad-version");
  }
  if (!Number.isInteger(chunkSize) || chunkSize < MIN_CHUNK || chunkSize > MAX_CHUNK) {
    throw new PRSBError(`the chunk size must be an integer from ${MIN_CHUNK} to ${MAX_CHUNK}; got ${JSON.stringify(chunkSize)}`, "bad-chunk-size");
  }
  if (onProgress !== undefined && onProgress !== null && typeof onProgress !== "function") {
    throw new PRSBError("onProgress must be a function", "bad-argument");
  }
  const formBytes = encodeForm(form);
  const fileList = normaliseFiles(files);
  const C = chunkSize;

  // -- the plaintext: records
  const parts = [concat(new Uint8Array([RECORD_FORM]), u16(4), utf8.encode("form"), u64(formBytes.length)), formBytes];
  let total = parts[0].length + formBytes.length;
  for (const f of fileList) {
    parts.push(concat(new Uint8Array([RECORD_FILE]), u16(f.nameBytes.length), f.nameBytes, u64(f.size)));
    parts.push(f.data);
    total += 1 + 2 + f.nameBytes.length + 8 + f.size;
  }
  if (!Number.isSafeInteger(total)) throw new PRSBError("the bid is too large", "too-large");

  // -- the bound header H (declaring the body: its length and number of chunks) and the sealed file key
  const nChunks = Math.max(1, Math.ceil(total / C));
  const bodyLength = total + TAG_LEN * nChunks;
  if (!Number.isSafeInteger(bodyLength)) throw new PRSBError("the bid is too large", "too-large");
  const fingerprint = await sha256(pkBytes);
  const H = concat(
    utf8.encode("PRSB"), new Uint8Array([FORMAT_VERSION]), u16(KEM_ID), u16(KDF_ID), u16(AEAD_ID),
    u16(tradeBytes.length), tradeBytes, u16(bidderBytes.length), bidderBytes,
    u32(ver), fingerprint, u32(C), u64(bodyLength), u64(nChunks),
  );
  const fileKey = _unsafeFixed && _unsafeFixed.fileKey
    ? new Uint8Array(_unsafeFixed.fileKey) : crypto.getRandomValues(new Uint8Array(32));
  let ephemeral;
  if (_unsafeFixed && _unsafeFixed.ephemeralJwk) {
    const jwk = _unsafeFixed.ephemeralJwk;
    ephemeral = {
      privateKey: await s.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, d: jwk.d },
        { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]),
      publicKey: await s.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y },
        { name: "ECDH", namedCurve: "P-256" }, true, []),
    };
  }
  const sealedKey = await hpkeSealBase(pkBytes, pk, H, fileKey, ephemeral);
  if (sealedKey.length !== SEALED_KEY_LEN) throw new PRSBError("unexpected sealed key length", "internal");
  const header = concat(H, u16(sealedKey.length), sealedKey);
  const h = await sha256(header);

  // -- the body key
  const ikm = await s.importKey("raw", fileKey, "HKDF", false, ["deriveBits"]);
  fileKey.fill(0);
  const kbBytes = new Uint8Array(await s.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: h, info: utf8.encode("PRSB-v1 body") }, ikm, 256));
  const bodyKey = await s.importKey("raw", kbBytes, { name: "AES-GCM" }, false, ["encrypt"]);
  kbBytes.fill(0);

  // -- the body, chunk by chunk
  const sink = new Sink();
  sink.push(header);
  const ptHash = new Sha256();
  const reader = new PartReader(parts);
  let done = 0;
  let reported = 0;
  if (onProgress) onProgress(0, total);
  for (let i = 0; i < nChunks; i++) {
    if (signal && signal.aborted) throw new PRSBError("sealing was cancelled", "aborted");
    const last = i === nChunks - 1;
    const want = last ? total - i * C : C;
    const chunk = await reader.read(want);
    if (chunk.length !== want) throw new PRSBError("a file ended early while it was being sealed", "read-failed");
    ptHash.update(chunk);
    const ct = await s.encrypt({ name: "AES-GCM", iv: chunkNonce(i, last), additionalData: h, tagLength: 128 },
      bodyKey, chunk);
    if (ct.byteLength !== chunk.length + TAG_LEN) throw new PRSBError("unexpected AES-GCM output", "internal");
    sink.push(new Uint8Array(ct));
    done += chunk.length;
    if (onProgress && (last || done - reported >= PROGRESS_STEP)) {
      reported = done;
      onProgress(done, total);
    }
  }
  if ((await reader.read(1)).length !== 0) throw new PRSBError("a file grew while it was being sealed", "read-failed");

  const out = sink.finish();
  if (out.size !== header.length + bodyLength) throw new PRSBError("the envelope is not the length its header declares", "internal");
  return {
    envelope: out.envelope,
    sha256Hex: toHex(out.sha256),
    contentDigest: `sha-256=:${toBase64(out.sha256)}:`,
    size: out.size,
    fingerprintHex: toHex(fingerprint),
    plaintextSha256Hex: toHex(ptHash.digest()),
  };
}

/**
 * Whether this browser's WebCrypto does everything the sealer needs: resolves to
 * {ok, missing: [names]} (never rejects).
 */
export async function checkSupport() {
  const missing = [];
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s || !globalThis.crypto.getRandomValues) return { ok: false, missing: ["crypto.subtle"] };
  const attempt = async (name, fn) => {
    try {
      await fn();
    } catch (e) {
      missing.push(name);
    }
  };
  await attempt("SHA-256", () => s.digest("SHA-256", new Uint8Array(1)));
  await attempt("ECDH P-256", async () => {
    const a = await s.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
    const raw = await s.exportKey("raw", a.publicKey);
    if (raw.byteLength !== 65) throw new Error("raw export");
    const pub = await s.importKey("raw", raw, { name: "ECDH", namedCurve: "P-256" }, true, []);
    const bits = await s.deriveBits({ name: "ECDH", public: pub }, a.privateKey, 256);
    if (bits.byteLength !== 32) throw new Error("deriveBits");
  });
  await attempt("HMAC-SHA256", () => hmacSha256(new Uint8Array(32), new Uint8Array(1)));
  await attempt("HKDF-SHA256", async () => {
    const k = await s.importKey("raw", new Uint8Array(32), "HKDF", false, ["deriveBits"]);
    await s.deriveBits({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: new Uint8Array(1) }, k, 256);
  });
  await attempt("AES-256-GCM", async () => {
    const k = await s.importKey("raw", new Uint8Array(32), { name: "AES-GCM" }, false, ["encrypt"]);
    await s.encrypt({ name: "AES-GCM", iv: new Uint8Array(12), additionalData: new Uint8Array(1) }, k, new Uint8Array(1));
  });
  if (typeof Blob === "undefined" || typeof Blob.prototype.arrayBuffer !== "function") missing.push("Blob.arrayBuffer");
  return { ok: missing.length === 0, missing };
}

/** Byte helpers shared with the keyholder's key tools (keyholder-keys.js). */
/**
 * The sealer's device id: a random id this browser keeps in localStorage and sends with each upload
 * (header X-Sealer-Device). It names no one; the platform compares it across the bidders of one trade
 * after the opening (two companies' bids sealed on one device: Reg 40(2), docs/collusion.md).
 */
export function sealerDeviceId() {
  const name = "prt.sealer-device";
  try {
    let id = window.localStorage.getItem(name);
    if (!id || !/^[A-Za-z0-9][A-Za-z0-9._-]{7,63}$/.test(id)) {
      id = crypto.randomUUID();
      window.localStorage.setItem(name, id);
    }
    return id;
  } catch (e) {
    return null; // storage refused (private mode): no id is sent
  }
}

export const bytes = Object.freeze({ concat, toHex, u16, u32, sha256 });

export const constants = Object.freeze({
  FORMAT_VERSION, KEM_ID, KDF_ID, AEAD_ID, MIN_CHUNK, MAX_CHUNK, DEFAULT_CHUNK, SEALED_KEY_LEN,
});

const PRSB = Object.freeze({ sealBid, fingerprintHex, encodeForm, checkSupport, PRSBError, constants });
globalThis.PRSB = PRSB;
export default PRSB;
