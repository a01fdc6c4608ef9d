#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""RFC 6238 codes (SHA1, 6 digits, 30 s) for a hex key at each given time:
an independent implementation from the standard library, for the tests."""
import hashlib
import hmac
import struct
import sys

key = bytes.fromhex(sys.argv[1])
for t in sys.argv[2:]:
    mac = hmac.new(key, struct.pack(">Q", int(t) // 30), hashlib.sha1).digest()
    o = mac[-1] & 15
    print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
