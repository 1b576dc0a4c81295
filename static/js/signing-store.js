/*
 * A supervisor's signing key in this browser: ECDSA P-256 made by WebCrypto, kept in IndexedDB as a
 * non-extractable CryptoKey (page scripts can sign with it, nobody can read it out), one per user id.
 * The backup is the PKCS#8 PEM exported once, at the moment the key is made (docs/signatures.md).
 */
const DB = "trading-signing";
const STORE = "keys";
const ALG = { name: "ECDSA", namedCurve: "P-256" };
const s = crypto.subtle;

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(req && req.result); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

export const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function fingerprint(spki) {
  return hex(await s.digest("SHA-256", spki));
}

export function pem(der) {
  const body = b64(der).replace(/(.{64})/g, "$1\n").trim();
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}

export async function loadStored(userId) {
  return tx("readonly", (store) => store.get(`user:${userId}`));
}

async function store(userId, pkcs8, fp) {
  const privateKey = await s.importKey("pkcs8", pkcs8, ALG, false, ["sign"]); // non-extractable from here on
  await tx("readwrite", (st) => st.put({ privateKey, fingerprint: fp }, `user:${userId}`));
}

/** A new key: {spki, pkcs8, fingerprint}; `keep(...)` stores it once the platform has published it. */
export async function makeKey() {
  const pair = await s.generateKey(ALG, true, ["sign", "verify"]);
  const spki = await s.exportKey("spki", pair.publicKey);
  const pkcs8 = await s.exportKey("pkcs8", pair.privateKey);
  return { spki, pkcs8, fingerprint: await fingerprint(spki) };
}

/** A backup file (PKCS#8 PEM, not encrypted) back into {spki, pkcs8, fingerprint}. */
export async function readBackup(text) {
  const match = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(text);
  if (!match) throw new Error("not a PKCS#8 PEM file (-----BEGIN PRIVATE KEY-----)");
  const pkcs8 = unb64(match[1].replace(/\s+/g, "")).buffer;
  const priv = await s.importKey("pkcs8", pkcs8, ALG, true, ["sign"]);
  const { kty, crv, x, y } = await s.exportKey("jwk", priv); // the public point, to rebuild the public key
  const pub = await s.importKey("jwk", { kty, crv, x, y, ext: true }, ALG, true, ["verify"]);
  const spki = await s.exportKey("spki", pub);
  return { spki, pkcs8, fingerprint: await fingerprint(spki) };
}

export async function keep(userId, key) {
  await store(userId, key.pkcs8, key.fingerprint);
}

/** Sign the statement's exact UTF-8 bytes: the 64-byte r || s signature, base64. */
export async function sign(privateKey, statement) {
  const sig = await s.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, new TextEncoder().encode(statement));
  return b64(sig);
}
