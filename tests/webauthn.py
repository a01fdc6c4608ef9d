#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Software FIDO2 authenticator for the tests (python3-cryptography): makes
credentials and signs assertions exactly as WebAuthn lays them out, so that
twofactl checks real signatures with libfido2.

  webauthn.py keygen ES256|EdDSA|RS256 DIR      -> registration JSON
  webauthn.py assert DIR RP_ID COUNTER [--forge|--no-up|--challenge C]
                                                -> assertion JSON"""
import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def keygen(alg, d):
    os.makedirs(d, exist_ok=True)
    if alg == "ES256":
        k = ec.generate_private_key(ec.SECP256R1())
        pub = k.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    elif alg == "EdDSA":
        k = ed25519.Ed25519PrivateKey.generate()
        pub = k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    elif alg == "RS256":
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        n = k.public_key().public_numbers()
        pub = n.n.to_bytes(256, "big") + n.e.to_bytes(3, "big")
    else:
        raise SystemExit("unknown alg")
    cred = os.urandom(32)
    with open(os.path.join(d, "key.pem"), "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump({"alg": alg, "cred": b64u(cred)}, f)
    print(json.dumps({"credential_id": b64u(cred), "alg": alg, "public_key": b64u(pub), "label": alg + " test key"}))


def sign(d, rp, counter, args):
    meta = json.load(open(os.path.join(d, "meta.json")))
    k = serialization.load_pem_private_key(open(os.path.join(d, "key.pem"), "rb").read(), None)
    flags = 0x00 if "--no-up" in args else 0x05
    auth = hashlib.sha256(rp.encode()).digest() + bytes([flags]) + struct.pack(">I", counter)
    challenge = args[args.index("--challenge") + 1] if "--challenge" in args else b64u(os.urandom(16))
    cdj = json.dumps({"type": "webauthn.get", "challenge": challenge, "origin": "https://" + rp}).encode()
    msg = auth + hashlib.sha256(cdj).digest()
    if meta["alg"] == "ES256":
        sig = k.sign(msg, ec.ECDSA(hashes.SHA256()))
    elif meta["alg"] == "EdDSA":
        sig = k.sign(msg)
    else:
        sig = k.sign(msg, padding.PKCS1v15(), hashes.SHA256())
    if "--forge" in args:
        sig = sig[:-1] + bytes([sig[-1] ^ 1])
    print(json.dumps({"credential_id": meta["cred"], "authenticator_data": b64u(auth),
                      "client_data_json": b64u(cdj), "signature": b64u(sig)}))


if __name__ == "__main__":
    if sys.argv[1] == "keygen":
        keygen(sys.argv[2], sys.argv[3])
    else:
        sign(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:])
