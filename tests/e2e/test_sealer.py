"""The in-browser sealer (static/js/sealer.js) in real headless Chromium, checked by opening its envelopes
in Python with an opener written independently from docs/sealed-bid-format.md (tests/e2e/prsb_open.py),
and with the platform's own receipt check and opener (bidding.crypto.envelope_check, bidding.crypto.envelope)."""
from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import io
import json
import math
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bidding.crypto import envelope as envelope_mod
from bidding.crypto.envelope_check import check_envelope
from bidding.crypto.records import decode_bid
from tests.e2e.prsb_open import EnvelopeError, open_envelope

pytestmark = pytest.mark.e2e

STATIC = Path(__file__).resolve().parents[2] / "static"
TRADE = "GC-2026-0001"
BIDDER = "91330100MA2B00001X"
FORM = {"price": "4815000.00", "duration_days": "360", "quality": "合格"}
BIG = 3 * 1024 * 1024 + 777  # ~3 MiB, not a multiple of any chunk size
SEED = 20260302

TEST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>sealer test</title>
<script type="module" src="/static/js/sealer.js"></script>
<script type="module">
import * as mod from "/static/js/sealer.js";
window.mod = mod;
window.gen = (seed, n) => {  // the same generator as lcg_bytes() in the test module
  const a = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; a[i] = x >>> 24; }
  return a;
};
window.hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
window.b64 = (u8) => {
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000));
  return btoa(s);
};
window.ready = true;
</script></head><body><p>sealer test</p></body></html>
"""

SEAL_JS = """async ({pk, trade, bidder, version, form, files, chunkSize}) => {
  const made = files.map((f) => new File([gen(f.seed, f.size)], f.name, {type: "application/octet-stream"}));
  const progress = [];
  const r = await mod.sealBid({publicKeyHex: pk, tradeRef: trade, bidderId: bidder, version, form,
                               files: made, chunkSize, onProgress: (d, t) => progress.push([d, t])});
  const bytes = new Uint8Array(await r.envelope.arrayBuffer());
  const fileSha = [];
  for (const f of made) fileSha.push(hex(await crypto.subtle.digest("SHA-256", await f.arrayBuffer())));
  return {b64: b64(bytes), sha256Hex: r.sha256Hex, contentDigest: r.contentDigest, size: r.size,
          fingerprintHex: r.fingerprintHex,
          plaintextSha256Hex: r.plaintextSha256Hex, blobType: r.envelope.type, blobSize: r.envelope.size,
          webcryptoSha: hex(await crypto.subtle.digest("SHA-256", bytes)), progress, fileSha};
}"""


@functools.cache
def lcg_bytes(seed: int, n: int) -> bytes:
    out = bytearray(n)
    x = seed & 0xFFFFFFFF
    for i in range(n):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        out[i] = x >> 24
    return bytes(out)


def canonical_form(form: dict) -> bytes:
    return json.dumps(form, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_len(name: str, size: int) -> int:
    return 1 + 2 + len(name.encode()) + 8 + size


@pytest.fixture(scope="module")
def static_server(tmp_path_factory):
    """http.server on loopback: /static/ is the project's static folder, /test.html a minimal page."""
    root = tmp_path_factory.mktemp("sealer-site")
    (root / "test.html").write_text(TEST_PAGE, encoding="utf-8")
    (root / "static").symlink_to(STATIC, target_is_directory=True)

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript"}

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def page(browser, static_server):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{static_server}/test.html")
    page.wait_for_function("window.ready === true && !!window.PRSB")
    yield page
    context.close()
    assert not errors, errors


@pytest.fixture(scope="module")
def opening_key():
    sk = ec.generate_private_key(ec.SECP256R1())
    pk = sk.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return sk, pk


def seal(page, pk: bytes, *, form=FORM, files=(), chunk_size=65536, version=1, trade=TRADE, bidder=BIDDER):
    out = page.evaluate(SEAL_JS, {"pk": pk.hex(), "trade": trade, "bidder": bidder, "version": version,
                                  "form": form, "files": list(files), "chunkSize": chunk_size})
    out["envelope"] = base64.b64decode(out.pop("b64"))
    return out


def flipped(data: bytes, index: int) -> bytes:
    b = bytearray(data)
    b[index] ^= 0x01
    return bytes(b)


def test_webcrypto_supports_everything_the_sealer_uses(page):
    support = page.evaluate("() => mod.checkSupport()")
    assert support == {"ok": True, "missing": []}
    assert page.evaluate("() => window.isSecureContext") is True
    # the module's exports and the window.PRSB global are the same functions (one module instance)
    assert page.evaluate("() => window.PRSB.sealBid === mod.sealBid && window.PRSB === mod.default") is True


def test_fingerprint(page, opening_key):
    _, pk = opening_key
    expected = hashlib.sha256(pk).hexdigest()
    assert page.evaluate("(k) => mod.fingerprintHex(k)", pk.hex()) == expected
    assert page.evaluate("(k) => PRSB.fingerprintHex(k)", pk.hex().upper()) == expected


@pytest.mark.parametrize("chunk_size", [65536, 1024])
def test_browser_envelope_opens_in_python(page, opening_key, chunk_size):
    sk, pk = opening_key
    files = [{"name": "技术标书.pdf", "seed": SEED, "size": BIG},
             {"name": "报价明细.xlsx", "seed": SEED + 1, "size": 5000},
             {"name": "empty.txt", "seed": 1, "size": 0}]
    out = seal(page, pk, files=files, chunk_size=chunk_size, version=2)
    envelope = out["envelope"]

    # what the page reports
    assert out["size"] == len(envelope) == out["blobSize"]
    assert out["sha256Hex"] == hashlib.sha256(envelope).hexdigest() == out["webcryptoSha"]
    assert out["contentDigest"] == "sha-256=:" + base64.b64encode(hashlib.sha256(envelope).digest()).decode() + ":"
    assert out["fingerprintHex"] == hashlib.sha256(pk).hexdigest()
    assert out["blobType"] == "application/octet-stream"

    opened = open_envelope(envelope, sk)
    # the header
    assert envelope[:11] == b"PRSB\x02\x00\x10\x00\x01\x00\x02"
    assert opened.format_version == 2
    assert (opened.trade_ref, opened.bidder_id, opened.version) == (TRADE, BIDDER, 2)
    assert opened.fingerprint == hashlib.sha256(pk).digest()
    assert opened.chunk_size == chunk_size
    assert len(opened.sealed_key) == 113 and opened.sealed_key[0] == 0x04
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), opened.sealed_key[:65])  # enc: a valid point

    # the plaintext: the form record, then each file record, byte for byte
    form_bytes = canonical_form(FORM)
    assert form_bytes == '{"duration_days":"360","price":"4815000.00","quality":"合格"}'.encode()
    assert opened.records[0] == (0x01, "form", form_bytes)
    assert [(kind, name) for kind, name, _ in opened.records[1:]] == [(0x02, f["name"]) for f in files]
    for (_, _, data), spec, page_sha in zip(opened.records[1:], files, out["fileSha"]):
        expected = lcg_bytes(spec["seed"], spec["size"])
        assert len(data) == spec["size"]
        assert hashlib.sha256(data).hexdigest() == hashlib.sha256(expected).hexdigest() == page_sha
    total = record_len("form", len(form_bytes)) + sum(record_len(f["name"], f["size"]) for f in files)
    assert len(opened.plaintext) == total
    assert out["plaintextSha256Hex"] == hashlib.sha256(opened.plaintext).hexdigest()

    # chunking: ceil(total / C) chunks, each C + 16 bytes but the last; the bound header ends with
    # the body length and the chunk count it declares (8 bytes each)
    n = math.ceil(total / chunk_size)
    assert opened.n_chunks == n
    assert len(envelope) - opened.body_offset == total + 16 * n
    bound = opened.bound_header
    assert (int.from_bytes(bound[-16:-8], "big"), int.from_bytes(bound[-8:], "big")) == (total + 16 * n, n)
    assert int.from_bytes(bound[-20:-16], "big") == chunk_size

    # progress: reported at the start, several times along the way, and at the end
    progress = out["progress"]
    assert progress[0] == [0, total] and progress[-1] == [total, total]
    assert len(progress) >= 4
    assert all(t == total for _, t in progress)
    assert all(a[0] < b[0] for a, b in zip(progress, progress[1:]))

    # any flipped byte, truncation, extension or reordering makes opening fail
    header_end = opened.body_offset
    step = chunk_size + 16
    positions = {
        "magic": 0, "trade ref": 13, "bidder": 13 + len(TRADE) + 2, "fingerprint": len(opened.bound_header) - 30,
        "chunk size": len(opened.bound_header) - 17, "body length": len(opened.bound_header) - 9,
        "chunk count": len(opened.bound_header) - 1, "sealed key enc": len(opened.bound_header) + 10,
        "sealed key ct": header_end - 1, "first chunk": header_end + 5, "middle chunk": header_end + step * (n // 2) + 7,
        "last tag": len(envelope) - 1,
    }
    for what, index in positions.items():
        with pytest.raises(EnvelopeError):
            open_envelope(flipped(envelope, index), sk)
            pytest.fail(f"a flipped byte in the {what} went unnoticed")
    body = envelope[header_end:]
    chunks = [body[i:i + step] for i in range(0, len(body), step)]
    broken = {
        "last chunk dropped": envelope[:header_end] + b"".join(chunks[:-1]),
        "last byte dropped": envelope[:-1],
        "extended": envelope + b"\x00" * 16,
        "extended by a chunk": envelope + chunks[0],
        "reordered": envelope[:header_end] + chunks[1] + chunks[0] + b"".join(chunks[2:]),
    }
    for what, data in broken.items():
        with pytest.raises(EnvelopeError):
            open_envelope(data, sk)
            pytest.fail(f"{what}: went unnoticed")
    with pytest.raises(EnvelopeError):
        open_envelope(envelope, ec.generate_private_key(ec.SECP256R1()))


@pytest.mark.parametrize("chunk_size", [65536, 1024])
def test_project_opener_reads_the_browser_envelope(page, opening_key, chunk_size):
    """The platform's own Python code accepts the browser's envelope on receipt (and refuses it cut
    short anywhere) and opens it to the same plaintext as the independent opener."""
    sk, pk = opening_key
    files = [{"name": "技术标书.pdf", "seed": SEED, "size": BIG}, {"name": "empty.txt", "seed": 1, "size": 0}]
    out = seal(page, pk, files=files, chunk_size=chunk_size, version=3)
    envelope = out["envelope"]
    opened = open_envelope(envelope, sk)

    checked = check_envelope(io.BytesIO(envelope), TRADE, BIDDER, 3, out["fingerprintHex"], len(envelope))
    assert (checked.size, checked.sha256.hex()) == (out["size"], out["sha256Hex"])
    assert (checked.format_version, checked.body_length) == (2, len(envelope) - opened.body_offset)
    step = chunk_size + 16
    for cut in (opened.body_offset, opened.body_offset + step, len(envelope) - 1):
        with pytest.raises(envelope_mod.EnvelopeError) as refused:
            check_envelope(io.BytesIO(envelope[:cut]), TRADE, BIDDER, 3, out["fingerprintHex"], len(envelope))
        assert refused.value.code == "truncated"

    plaintext = io.BytesIO()
    header = envelope_mod.open_envelope(io.BytesIO(envelope), sk, plaintext)
    assert (header.trade_ref, header.bidder_id, header.version, header.chunk_size) == (TRADE, BIDDER, 3, chunk_size)
    assert header.fingerprint == hashlib.sha256(pk).digest()
    assert plaintext.getvalue() == opened.plaintext
    form, got_files = decode_bid(io.BytesIO(plaintext.getvalue()))
    assert form == FORM
    assert [(name, hashlib.sha256(data).hexdigest()) for name, data in got_files] == \
        [(f["name"], hashlib.sha256(lcg_bytes(f["seed"], f["size"])).hexdigest()) for f in files]


def test_form_json_matches_python_byte_for_byte(page, opening_key):
    sk, pk = opening_key
    form = {
        "price": "0.5",
        "quality": "合格",
        "note": 'quote " backslash \\ newline \n tab \t cr \r bs \b ff \f nul \u0000 esc \u001b del \u007f',
        "emoji 🚀": "astral 😀 and BMP \uff5a \u2028",
        "\uff5a": "a BMP key above the surrogates: sorts before astral keys by code point",
        "😀": "an astral key",
        "Zeta": "upper before lower", "alpha": "", "10": "digits", "9": "digit",
    }
    expected = canonical_form(form)
    assert bytes(page.evaluate("(f) => Array.from(mod.encodeForm(f))", form)) == expected
    out = seal(page, pk, form=form, chunk_size=1024)
    opened = open_envelope(out["envelope"], sk)
    assert opened.records == [(0x01, "form", expected)]


def test_plaintext_an_exact_multiple_of_the_chunk_size(page, opening_key):
    sk, pk = opening_key
    c = 1024
    name = "x.bin"
    size = 4 * c - record_len("form", len(canonical_form(FORM))) - record_len(name, 0)
    out = seal(page, pk, files=[{"name": name, "seed": 7, "size": size}], chunk_size=c)
    opened = open_envelope(out["envelope"], sk)
    assert len(opened.plaintext) == 4 * c
    # read as ceil(total / C) chunks: the last one full (C + 16 bytes, flag 0x01), no empty chunk after it
    assert opened.n_chunks == 4
    assert len(out["envelope"]) - opened.body_offset == 4 * (c + 16)
    assert opened.records[1][2] == lcg_bytes(7, size)


BAD_INPUTS = [
    ({"publicKeyHex": "zz"}, "bad-key", "not valid hex"),
    ({"publicKeyHex": "04" + "11" * 32}, "bad-key", "65-byte uncompressed"),
    ({"publicKeyHex": "02" + "11" * 32}, "bad-key", "compressed"),
    ({"publicKeyHex": "04" + "00" * 31 + "01" + "00" * 31 + "01"}, "bad-key", "not a point on the P-256 curve"),
    ({"publicKeyHex": 42}, "bad-key", "hex string"),
    ({"form": {"price": "12.345"}}, "bad-price", "at most two decimals"),
    ({"form": {"price": "1,000.00"}}, "bad-price", "at most two decimals"),
    ({"form": {"price": "-1"}}, "bad-price", "at most two decimals"),
    ({"form": {"price": "1."}}, "bad-price", "at most two decimals"),
    ({"form": {"price": " 100"}}, "bad-price", "at most two decimals"),
    ({"form": {"price": ""}}, "bad-price", "at most two decimals"),
    ({"form": {"price": "007"}}, "bad-price", "no leading zeros"),
    ({"form": {"price": "1" * 16}}, "bad-price", "at most two decimals"),
    ({"form": {"price": "0.00"}}, "bad-price", "greater than zero"),
    ({"form": {"price": "0"}}, "bad-price", "greater than zero"),
    ({"form": {"price": "１００"}}, "bad-price", "digits only"),
    ({"form": {"price": "1", "": "x"}}, "bad-form", "empty field name"),
    ({"form": {"price": "1", "note": "x" * (1024 * 1024)}}, "bad-form", "too large"),
    ({"form": {"duration_days": "360"}}, "bad-price", 'must have a "price"'),
    ({"form": {"price": 100}}, "bad-form", "must be a string"),
    ({"form": {"price": "1", "duration_days": 360}}, "bad-form", '"duration_days" must be a string'),
    ({"form": ["price", "1"]}, "bad-form", "plain object"),
    ({"form": None}, "bad-form", "plain object"),
    ({"chunkSize": 1023}, "bad-chunk-size", "from 1024 to 16777216"),
    ({"chunkSize": 16777217}, "bad-chunk-size", "from 1024 to 16777216"),
    ({"chunkSize": 2048.5}, "bad-chunk-size", "integer"),
    ({"version": 0}, "bad-version", "from 1 to 4294967295"),
    ({"version": 2 ** 32}, "bad-version", "from 1 to 4294967295"),
    ({"version": "x"}, "bad-version", "integer"),
    ({"tradeRef": ""}, "bad-trade", "must not be empty"),
    ({"tradeRef": "x" * 65536}, "bad-trade", "too long"),
    ({"bidderId": None}, "bad-bidder", "must be a string"),
    ({"files": [{"name": "a.pdf"}]}, "bad-file", "has no data"),
    ({"files": [{"name": "", "data": [1]}]}, "bad-file", "must not be empty"),
    ({"files": ["nope"]}, "bad-file", "File or {name, data}"),
    ({"files": [{"name": "../a.pdf", "data": [1]}]}, "bad-file", "plain name"),
    ({"files": [{"name": "..", "data": [1]}]}, "bad-file", "plain name"),
]


@pytest.mark.parametrize("override,code,message", BAD_INPUTS, ids=[f"{c}-{i}" for i, (_, c, _) in enumerate(BAD_INPUTS)])
def test_bad_inputs_are_refused_with_clear_errors(page, opening_key, override, code, message):
    _, pk = opening_key
    args = {"publicKeyHex": pk.hex(), "tradeRef": TRADE, "bidderId": BIDDER, "version": 1, "form": FORM, **override}
    err = page.evaluate("""async (args) => {
        try { await mod.sealBid(args); return null; }
        catch (e) { return {name: e.name, code: e.code, message: e.message, isPRSB: e instanceof mod.PRSBError}; }
    }""", args)
    assert err is not None, f"{override} was accepted"
    assert err["isPRSB"] and err["name"] == "PRSBError", err
    assert err["code"] == code, err
    assert message in err["message"], err


def test_file_data_may_be_bytes_and_version_a_digit_string(page, opening_key):
    sk, pk = opening_key
    out = page.evaluate("""async (pk) => {
        const r = await mod.sealBid({publicKeyHex: pk, tradeRef: "GC-2026-0001", bidderId: "91330100MA2B00001X",
            version: "3", form: {price: "1"}, chunkSize: 1024,
            files: [{name: "a.bin", data: new Uint8Array([1, 2, 3])},
                    {name: "b.bin", data: new Blob([new Uint8Array(3000).fill(9)])}]});
        return b64(new Uint8Array(await r.envelope.arrayBuffer()));
    }""", pk.hex())
    opened = open_envelope(base64.b64decode(out), sk)
    assert opened.version == 3
    assert opened.records[1:] == [(0x02, "a.bin", b"\x01\x02\x03"), (0x02, "b.bin", b"\x09" * 3000)]


def test_fixed_randomness_gives_the_same_bytes_as_the_python_sealer(page, opening_key):
    """With the file key and HPKE ephemeral key fixed (the test-only hook a test vector needs), the
    browser's envelope is deterministic, and bidding.crypto.envelope.write_envelope rebuilds it byte for byte
    from the same header, sealed key and plaintext."""
    sk, pk = opening_key
    file_key = bytes(range(1, 33))
    eph = ec.derive_private_key(0x1234567890ABCDEF, ec.SECP256R1())
    nums = eph.public_key().public_numbers()
    b64u = lambda n: base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()  # noqa: E731
    jwk = {"d": b64u(eph.private_numbers().private_value), "x": b64u(nums.x), "y": b64u(nums.y)}
    results = page.evaluate("""async ({pk, fileKey, jwk}) => {
        const out = [];
        for (let i = 0; i < 2; i++) {
            const r = await mod.sealBid({publicKeyHex: pk, tradeRef: "GC-2026-0001", bidderId: "91330100MA2B00001X",
                version: 1, form: {price: "4815000.00", duration_days: "360"}, chunkSize: 1024,
                files: [new File([gen(5, 5000)], "a.bin")],
                _unsafeFixed: {fileKey: new Uint8Array(fileKey), ephemeralJwk: jwk}});
            out.push(b64(new Uint8Array(await r.envelope.arrayBuffer())));
        }
        return out;
    }""", {"pk": pk.hex(), "fileKey": list(file_key), "jwk": jwk})
    first, second = (base64.b64decode(r) for r in results)
    assert first == second
    opened = open_envelope(first, sk)
    assert opened.file_key == file_key
    assert opened.sealed_key[:65] == eph.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    assert opened.records[1] == (0x02, "a.bin", lcg_bytes(5, 5000))

    rebuilt = io.BytesIO()
    envelope_mod.write_envelope(io.BytesIO(opened.plaintext), bound_header=opened.bound_header, file_key=file_key,
                                sealed_key=opened.sealed_key, out=rebuilt)
    assert rebuilt.getvalue() == first


VECTOR_PATH = Path(__file__).resolve().parents[1] / "bidding" / "crypto" / "vectors" / "envelope-v2.json"


def test_browser_rebuilds_the_published_test_vector(page):
    """The spec's test vector, sealed in the browser from its fixed inputs, byte for byte."""
    v = json.loads(VECTOR_PATH.read_text(encoding="utf-8"))
    eph = ec.derive_private_key(int(v["hpke_ephemeral_private_key"], 16), ec.SECP256R1())
    nums = eph.public_key().public_numbers()
    b64u = lambda n: base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()  # noqa: E731
    jwk = {"d": b64u(eph.private_numbers().private_value), "x": b64u(nums.x), "y": b64u(nums.y)}
    out = page.evaluate("""async ({v, jwk}) => {
        const bytes = (h) => new Uint8Array(h.match(/../g) ? h.match(/../g).map((b) => parseInt(b, 16)) : []);
        const r = await mod.sealBid({publicKeyHex: v.opening_public_key, tradeRef: v.trade_ref, bidderId: v.bidder_id,
            version: v.version, form: v.form, chunkSize: v.chunk_size,
            files: v.files.map((f) => new File([bytes(f.data)], f.name)),
            _unsafeFixed: {fileKey: bytes(v.file_key), ephemeralJwk: jwk}});
        return {hex: hex(await r.envelope.arrayBuffer()), sha256Hex: r.sha256Hex, size: r.size,
                contentDigest: r.contentDigest,
                fingerprintHex: r.fingerprintHex, plaintextSha256Hex: r.plaintextSha256Hex};
    }""", {"v": v, "jwk": jwk})
    assert out["fingerprintHex"] == v["fingerprint"]
    assert out["hex"] == v["envelope"]
    assert out["sha256Hex"] == v["envelope_sha256"]
    assert out["contentDigest"] == v["content_digest"]
    assert out["size"] == len(v["envelope"]) // 2
    assert out["plaintextSha256Hex"] == hashlib.sha256(bytes.fromhex(v["plaintext"])).hexdigest()
