"""Sprig's cryptographic functions (crypto.go), with pycryptodome and hashlib.

bcrypt/htpasswd (cost 10, `$2a$`), derivePassword (the Master Password algorithm: scrypt
N=32768 r=8 p=2), genPrivateKey (rsa 4096, dsa L2048N256, ecdsa P-256, ed25519 as PEM) and
encryptAES/decryptAES (AES-256-CBC, the password zero-padded to 32 bytes, a random IV in front,
base64); the X.509 certificate functions are in `_x509`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from collections.abc import Callable
from typing import Any

from localflow.errors import ExprError
from localflow.expr._gofmt import go_string
from localflow.expr._x509 import X509
from localflow.expr._sprig_base import _s

_SEED = b"com.lyndir.masterpassword"
_TEMPLATES = {
    "maximum": ["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
    "long": ["CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
             "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
             "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
             "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
             "CvccCvcvCvccno"],
    "medium": ["CvcnoCvc", "CvcCvcno"],
    "short": ["Cvcn"],
    "basic": ["aaanaaan", "aannaaan", "aaannaaa"],
    "pin": ["nnnn"],
}
_CHARACTERS = {
    "V": "AEIOU", "C": "BCDFGHJKLMNPQRSTVWXYZ", "v": "aeiou", "c": "bcdfghjklmnpqrstvwxyz",
    "A": "AEIOUBCDFGHJKLMNPQRSTVWXYZ", "a": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
    "n": "0123456789", "o": "@&%?,=[]_:-+*$#!'^~;()/.",
    "x": "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
}


def _bytes(v: Any) -> bytes:
    return _s(v).encode("utf-8", "surrogateescape")


def sprig_bcrypt(text: Any) -> str:
    from Crypto.Protocol.KDF import bcrypt

    raw = _bytes(text)
    if len(raw) > 72:
        return "failed to encrypt string with bcrypt: bcrypt: password length exceeds 72 bytes"
    return bcrypt(raw, 10).decode()


def htpasswd(user: Any, password: Any) -> str:
    if ":" in _s(user):
        return f"invalid username: {_s(user)}"
    return f"{_s(user)}:{sprig_bcrypt(password)}"


def derive_password(counter: Any, kind: Any, password: Any, user: Any, site: Any) -> str:
    templates = _TEMPLATES.get(_s(kind))
    if templates is None:
        return f"cannot find password template {_s(kind)}"
    user_b, site_b = _bytes(user), _bytes(site)
    salt = _SEED + struct.pack(">I", len(user_b)) + user_b
    key = hashlib.scrypt(_bytes(password), salt=salt, n=32768, r=8, p=2, maxmem=2**26, dklen=64)
    message = _SEED + struct.pack(">I", len(site_b)) + site_b + struct.pack(">I", int(counter) & 0xFFFFFFFF)
    seed = hmac.new(key, message, hashlib.sha256).digest()
    template = templates[seed[0] % len(templates)]
    return "".join(_CHARACTERS[c][seed[i + 1] % len(_CHARACTERS[c])] for i, c in enumerate(template))


def gen_private_key(kind: Any) -> str:
    from Crypto.PublicKey import DSA, ECC, RSA

    kind = _s(kind)
    if kind in ("", "rsa"):
        return RSA.generate(4096).export_key("PEM", pkcs=1).decode() + "\n"
    if kind == "dsa":
        return DSA.generate(2048).export_key(format="PEM", pkcs8=False).decode() + "\n"
    if kind == "ecdsa":
        return ECC.generate(curve="P-256").export_key(format="PEM", use_pkcs8=False) + "\n"
    if kind == "ed25519":
        return ECC.generate(curve="ed25519").export_key(format="PEM") + "\n"
    return "Unknown type " + kind


def _key(password: Any) -> bytes:
    return (_bytes(password) + bytes(32))[:32]


def encrypt_aes(password: Any, plaintext: Any) -> str:
    from Crypto.Cipher import AES

    content = _bytes(plaintext)
    if not content:
        return ""
    padding = 16 - len(content) % 16
    iv = os.urandom(16)
    encrypted = AES.new(_key(password), AES.MODE_CBC, iv).encrypt(content + bytes([padding]) * padding)
    return base64.b64encode(iv + encrypted).decode()


def decrypt_aes(password: Any, crypt64: Any) -> str:
    from Crypto.Cipher import AES

    if not _s(crypt64):
        return ""
    try:
        crypt = base64.b64decode(_s(crypt64), validate=True)
    except ValueError:
        raise ExprError("illegal base64 data at input byte 0") from None
    if len(crypt) < 16 or len(crypt) % 16 or len(crypt) == 16:
        raise ExprError("crypto/cipher: input not full blocks")
    decrypted = AES.new(_key(password), AES.MODE_CBC, crypt[:16]).decrypt(crypt[16:])
    cut = len(decrypted) - decrypted[-1]
    if cut < 0:
        raise ExprError(f"runtime error: slice bounds out of range [:{cut}]")
    return go_string(decrypted[:cut])


CRYPTO: dict[str, Callable[..., Any]] = {
    "bcrypt": sprig_bcrypt,
    "htpasswd": htpasswd,
    "derivePassword": derive_password,
    "genPrivateKey": gen_private_key,
    "encryptAES": encrypt_aes,
    "decryptAES": decrypt_aes,
    **X509,
}
