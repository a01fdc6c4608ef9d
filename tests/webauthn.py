#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Software WebAuthn authenticator and browser for the tests (Debian's
python3-cryptography): makes credentials, attestation objects (CBOR written
here by hand: fmt none, packed self attestation, packed with an x5c
certificate) and assertions exactly as WebAuthn lays them out, and wraps
them as a browser's PublicKeyCredential.toJSON() would, so that twofactl
checks real signatures with libfido2.

  webauthn.py new DIR ES256|EdDSA|RS256
  webauthn.py create DIR OPTIONS [--fmt none|packed|packed-x5c] [TAMPER...]
        -> RegistrationResponseJSON (OPTIONS: the --json output of
           'twofactl webauthn challenge --purpose register', or '-')
  webauthn.py get DIR OPTIONS [--counter N] [--malleated-to FILE] [TAMPER...]
        -> AuthenticationResponseJSON (OPTIONS: of '... --purpose login')

TAMPER: --origin URL, --type T, --rp RP_ID (for rpIdHash), --challenge B64U,
--no-up, --uv, --cross-origin, --forge (flip a bit of the signature),
--user-handle B64U, --id B64U (another credential id)."""
import base64
import datetime
import hashlib
import json
import os
import struct
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.x509.oid import NameOID

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
COSE = {"ES256": -7, "EdDSA": -8, "RS256": -257}


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64u(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | ai]) + n.to_bytes(size, "big")
    raise ValueError("too big")


def cbor(v):
    """CBOR of ints, bytes, str, lists and dicts (keys in the order given)."""
    if isinstance(v, bool):
        return b"\xf5" if v else b"\xf4"
    if isinstance(v, int):
        return cbor_head(0, v) if v >= 0 else cbor_head(1, -1 - v)
    if isinstance(v, bytes):
        return cbor_head(2, len(v)) + v
    if isinstance(v, str):
        return cbor_head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return cbor_head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return cbor_head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(type(v))


def load(d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    key = serialization.load_pem_private_key(open(os.path.join(d, "key.pem"), "rb").read(), None)
    return meta, key


def sign(alg, key, msg):
    if alg == "ES256":
        return key.sign(msg, ec.ECDSA(hashes.SHA256()))
    if alg == "EdDSA":
        return key.sign(msg)
    return key.sign(msg, padding.PKCS1v15(), hashes.SHA256())


def cose_key(alg, key):
    pub = key.public_key()
    if alg == "ES256":
        n = pub.public_numbers()
        return cbor({1: 2, 3: -7, -1: 1, -2: n.x.to_bytes(32, "big"), -3: n.y.to_bytes(32, "big")})
    if alg == "EdDSA":
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return cbor({1: 1, 3: -8, -1: 6, -2: raw})
    n = pub.public_numbers()
    return cbor({1: 3, 3: -257, -1: n.n.to_bytes(256, "big"), -2: n.e.to_bytes(3, "big")})


def new(d, alg):
    os.makedirs(d, exist_ok=True)
    if alg == "ES256":
        k = ec.generate_private_key(ec.SECP256R1())
    elif alg == "EdDSA":
        k = ed25519.Ed25519PrivateKey.generate()
    elif alg == "RS256":
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise SystemExit("unknown alg " + alg)
    with open(os.path.join(d, "key.pem"), "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"alg": alg, "cred": b64u(os.urandom(32))}, f)


def opt(args, name, default=None):
    return args[args.index(name) + 1] if name in args else default


def client_data(options, ceremony, args):
    cd = {"type": opt(args, "--type", ceremony),
          "challenge": opt(args, "--challenge", options["challenge"]),
          "origin": opt(args, "--origin", options["origins"][0])}
    if "--cross-origin" in args:
        cd["crossOrigin"] = True
    return json.dumps(cd, separators=(",", ":")).encode()


def flags(args, extra=0):
    return (0 if "--no-up" in args else 0x01) | (0x04 if "--uv" in args else 0) | extra


def attestation_cert():
    k = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "twofactl test attestation"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Authenticator Attestation")])
    now = datetime.datetime(2020, 1, 1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(k.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=36500))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(k, hashes.SHA256()))
    return k, cert.public_bytes(serialization.Encoding.DER)


def create(d, options, args):
    meta, key = load(d)
    alg, cred = meta["alg"], unb64u(meta["cred"])
    cdj = client_data(options, "webauthn.create", args)
    rp = opt(args, "--rp", options["rp_id"])
    counter = int(opt(args, "--counter", "0"))
    auth = (hashlib.sha256(rp.encode()).digest() + bytes([flags(args, 0x40)]) + struct.pack(">I", counter) +
            bytes(16) + struct.pack(">H", len(cred)) + cred + cose_key(alg, key))
    msg = auth + hashlib.sha256(cdj).digest()
    fmt = opt(args, "--fmt", "none")
    if fmt == "none":
        stmt = {}
    elif fmt == "packed":
        stmt = {"alg": COSE[alg], "sig": sign(alg, key, msg)}
    elif fmt == "packed-x5c":
        ak, der = attestation_cert()
        stmt = {"alg": -7, "sig": ak.sign(msg, ec.ECDSA(hashes.SHA256())), "x5c": [der]}
        fmt = "packed"
    else:
        raise SystemExit("unknown fmt " + fmt)
    if "--forge" in args and stmt:
        stmt["sig"] = stmt["sig"][:-1] + bytes([stmt["sig"][-1] ^ 1])
    attobj = cbor({"fmt": fmt, "attStmt": stmt, "authData": auth})
    cid = opt(args, "--id", meta["cred"])
    print(json.dumps({"id": cid, "rawId": cid, "type": "public-key",
                      "response": {"clientDataJSON": b64u(cdj), "attestationObject": b64u(attobj),
                                   "transports": ["usb"]},
                      "authenticatorAttachment": "cross-platform", "clientExtensionResults": {}}))


def get(d, options, args):
    meta, key = load(d)
    alg = meta["alg"]
    cdj = client_data(options, "webauthn.get", args)
    rp = opt(args, "--rp", options["rp_id"])
    auth = hashlib.sha256(rp.encode()).digest() + bytes([flags(args)]) + struct.pack(">I", int(opt(args, "--counter", "0")))
    sig = sign(alg, key, auth + hashlib.sha256(cdj).digest())
    if "--forge" in args:
        sig = sig[:-1] + bytes([sig[-1] ^ 1])
    cid = opt(args, "--id", meta["cred"])

    def out(s):
        return json.dumps({"id": cid, "rawId": cid, "type": "public-key",
                           "response": {"clientDataJSON": b64u(cdj), "authenticatorData": b64u(auth),
                                        "signature": b64u(s), "userHandle": opt(args, "--user-handle")},
                           "authenticatorAttachment": "cross-platform", "clientExtensionResults": {}})

    if "--malleated-to" in args:
        # the same ECDSA signature with s rewritten to n - s: just as valid
        if alg != "ES256":
            raise SystemExit("--malleated-to: ES256 only")
        r, s = decode_dss_signature(sig)
        with open(opt(args, "--malleated-to"), "w") as f:
            f.write(out(encode_dss_signature(r, P256_N - s)) + "\n")
    print(out(sig))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "new":
        new(sys.argv[2], sys.argv[3])
    elif cmd in ("create", "get"):
        src = sys.argv[3]
        options = json.load(sys.stdin if src == "-" else open(src))
        (create if cmd == "create" else get)(sys.argv[2], options, sys.argv[4:])
    else:
        raise SystemExit(__doc__)
