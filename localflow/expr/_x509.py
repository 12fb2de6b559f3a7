"""Sprig's certificate functions (genCA, genSelfSignedCert, genSignedCert, their WithKey forms and
buildCustomCert): X.509 v3 certificates as Go's x509.CreateCertificate writes them from sprig's
template (CN subject, server and client auth, basicConstraints, SANs), DER built here, keys and
signatures from pycryptodome. A result is sprig's `certificate{Cert, Key}` (PEM texts)."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import ipaddress
import os
import re
from typing import Any

from localflow.errors import ExprError
from localflow.expr._sprig_base import _i, _s


class Certificate(dict):
    """sprig's certificate struct: `.Cert` and `.Key`; %v prints `{CERT KEY}`."""

    go_type = "sprig.certificate"

    def go_sprint(self) -> str:
        return "{" + self["Cert"] + " " + self["Key"] + "}"


# ---- DER -----------------------------------------------------------------------------------


def _tlv(tag: int, body: bytes) -> bytes:
    n = len(body)
    if n < 0x80:
        return bytes([tag, n]) + body
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + body


def _seq(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _integer(n: int) -> bytes:
    return _tlv(0x02, n.to_bytes(n.bit_length() // 8 + 1, "big", signed=True))


def _oid(dotted: str) -> bytes:
    nums = [int(x) for x in dotted.split(".")]
    out = bytearray([nums[0] * 40 + nums[1]])
    for n in nums[2:]:
        chunk = [n & 0x7F]
        while n > 0x7F:
            n >>= 7
            chunk.append(0x80 | (n & 0x7F))
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _bits(value: bytes, unused: int = 0) -> bytes:
    return _tlv(0x03, bytes([unused]) + value)


def _time(t: _dt.datetime) -> bytes:
    if 1950 <= t.year < 2050:
        return _tlv(0x17, t.strftime("%y%m%d%H%M%SZ").encode())
    return _tlv(0x18, t.strftime("%Y%m%d%H%M%SZ").encode())


_PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?*&]*$")


def _name(cn: str) -> bytes:
    """pkix.Name{CommonName: cn}: PrintableString when it can be, else UTF8String."""
    if not cn:
        return _seq()
    value = _tlv(0x13 if _PRINTABLE.match(cn) else 0x0C, cn.encode())
    return _seq(_tlv(0x31, _seq(_oid("2.5.4.3"), value)))


def _read(der: bytes, pos: int = 0) -> tuple[int, bytes, int]:
    """(tag, body, position after) of the TLV at `pos`."""
    tag, first = der[pos], der[pos + 1]
    pos += 2
    if first & 0x80:
        size = first & 0x7F
        length = int.from_bytes(der[pos : pos + size], "big")
        pos += size
    else:
        length = first
    return tag, der[pos : pos + length], pos + length


def _children(body: bytes) -> list[tuple[int, bytes, bytes]]:
    """(tag, body, whole TLV) of each element of a constructed body."""
    out, pos = [], 0
    while pos < len(body):
        tag, inner, end = _read(body, pos)
        out.append((tag, inner, body[pos:end]))
        pos = end
    return out


# ---- keys and signatures -------------------------------------------------------------------


def _parse_key(pem: str) -> Any:
    from Crypto.PublicKey import DSA, ECC, RSA

    match = re.search(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----", pem)
    if match is None:
        raise ExprError("parsing private key: no PEM data in input")
    kind = match.group(1).strip()
    try:
        if kind == "RSA":
            return RSA.import_key(pem)
        if kind == "DSA":
            return DSA.import_key(pem)
        if kind == "EC":
            return ECC.import_key(pem)
        try:
            return ECC.import_key(pem)
        except ValueError:
            return RSA.import_key(pem)
    except ValueError as e:
        raise ExprError(f"parsing private key: {e}") from None


def _key_pem(key: Any) -> str:
    from Crypto.PublicKey import DSA, RSA

    if isinstance(key, RSA.RsaKey):
        return key.export_key("PEM", pkcs=1).decode() + "\n"
    if isinstance(key, DSA.DsaKey):
        return key.export_key(format="PEM", pkcs8=False).decode() + "\n"
    if key.curve in ("Ed25519", "ed25519"):
        return key.export_key(format="PEM") + "\n"
    return key.export_key(format="PEM", use_pkcs8=False) + "\n"


def _public_der(key: Any) -> bytes:
    return key.public_key().export_key(format="DER")


def _algorithm(key: Any) -> bytes:
    from Crypto.PublicKey import RSA

    if isinstance(key, RSA.RsaKey):
        return _seq(_oid("1.2.840.113549.1.1.11"), _tlv(0x05, b""))
    if getattr(key, "curve", "") in ("Ed25519", "ed25519"):
        return _seq(_oid("1.3.101.112"))
    if hasattr(key, "curve"):
        return _seq(_oid("1.2.840.10045.4.3.2"))
    raise ExprError("error creating certificate: x509: only RSA, ECDSA and Ed25519 keys supported")


def _sign(key: Any, data: bytes) -> bytes:
    from Crypto.Hash import SHA256
    from Crypto.PublicKey import RSA
    from Crypto.Signature import DSS, eddsa, pkcs1_15

    if isinstance(key, RSA.RsaKey):
        return pkcs1_15.new(key).sign(SHA256.new(data))
    if key.curve in ("Ed25519", "ed25519"):
        return eddsa.new(key, "rfc8032").sign(data)
    return DSS.new(key, "fips-186-3", encoding="der").sign(SHA256.new(data))


# ---- certificates --------------------------------------------------------------------------


def _san(ips: Any, dns: Any) -> bytes | None:
    names = []
    for name in dns or []:
        if not isinstance(name, str):
            raise ExprError(f"error processing alternate dns name: {name} is not a string")
        names.append(_tlv(0x82, name.encode()))
    for ip in ips or []:
        if not isinstance(ip, str):
            raise ExprError(f"error parsing ip: {ip} is not a string")
        try:
            names.append(_tlv(0x87, ipaddress.ip_address(ip).packed))
        except ValueError:
            raise ExprError(f"error parsing ip: {ip}") from None
    return _seq(*names) if names else None


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    flag = _tlv(0x01, b"\xff") if critical else b""
    return _seq(_oid(oid), flag, _tlv(0x04, value))


def _extensions(is_ca: bool, san: bytes | None, ski: bytes | None, aki: bytes | None) -> bytes:
    usage = 0b10100100 if is_ca else 0b10100000  # digitalSignature, keyEncipherment (, keyCertSign)
    exts = [
        _extension("2.5.29.15", _bits(bytes([usage]), 2 if is_ca else 5), critical=True),
        _extension("2.5.29.37", _seq(_oid("1.3.6.1.5.5.7.3.1"), _oid("1.3.6.1.5.5.7.3.2"))),
        _extension("2.5.29.19", _seq(_tlv(0x01, b"\xff")) if is_ca else _seq(), critical=True),
    ]
    if ski:
        exts.append(_extension("2.5.29.14", _tlv(0x04, ski)))
    if aki:
        exts.append(_extension("2.5.29.35", _seq(_tlv(0x80, aki))))
    if san:
        exts.append(_extension("2.5.29.17", san))
    return _tlv(0xA3, _seq(*exts))


def _issuer_of(ca: Any) -> tuple[bytes, bytes | None, Any]:
    """The CA certificate's subject (DER), subject key id and private key."""
    if not isinstance(ca, dict) or not isinstance(ca.get("Cert"), str) or not isinstance(ca.get("Key"), str):
        raise ExprError("unable to decode certificate")
    match = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", ca["Cert"], re.S)
    if match is None:
        raise ExprError("unable to decode certificate")
    der = base64.b64decode("".join(match.group(1).split()))
    tbs = _children(_read(_read(der)[1])[1])
    fields = tbs[1:] if tbs[0][0] == 0xA0 else tbs
    subject = fields[4][2]
    ski = None
    for tag, body, _ in fields:
        if tag == 0xA3:
            for _t, ext, _w in _children(_read(body)[1]):
                parts = _children(ext)
                if _read(parts[0][2])[1] == _read(_oid("2.5.29.14"))[1]:
                    ski = _read(_read(parts[-1][2])[1])[1]
    return subject, ski, _parse_key(ca["Key"])


def make_certificate(cn: Any, ips: Any, dns: Any, days: Any, key: Any, *, is_ca: bool = False,
                     ca: Any = None) -> Certificate:
    """getBaseCertTemplate + x509.CreateCertificate + PEM: self-signed unless `ca` is given."""
    subject = _name(_s(cn))
    public = _public_der(key)
    ski = hashlib.sha1(_children(_read(public)[1])[1][1][1:]).digest() if is_ca else None
    if ca is None:
        issuer, signer, aki = subject, key, None
    else:
        issuer, aki, signer = _issuer_of(ca)
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0)
    validity = _seq(_time(now), _time(now + _dt.timedelta(days=_i(days))))
    serial = int.from_bytes(os.urandom(16), "big")
    algorithm = _algorithm(signer)
    tbs = _seq(_tlv(0xA0, _integer(2)), _integer(serial), algorithm, issuer, validity, subject, public,
               _extensions(is_ca, _san(ips, dns), ski, aki))
    der = _seq(tbs, algorithm, _bits(_sign(signer, tbs)))
    body = base64.encodebytes(der).decode().replace("\n", "")
    pem = "-----BEGIN CERTIFICATE-----\n" + "".join(
        body[i : i + 64] + "\n" for i in range(0, len(body), 64)) + "-----END CERTIFICATE-----\n"
    return Certificate(Cert=pem, Key=_key_pem(key))


def _rsa_2048() -> Any:
    from Crypto.PublicKey import RSA

    return RSA.generate(2048)


def build_custom_cert(b64cert: Any, b64key: Any) -> Certificate:
    try:
        cert = base64.b64decode(_s(b64cert), validate=True).decode()
    except ValueError:
        raise ExprError("unable to decode base64 certificate") from None
    try:
        key = base64.b64decode(_s(b64key), validate=True).decode()
    except ValueError:
        raise ExprError("unable to decode base64 private key") from None
    _issuer_of({"Cert": cert, "Key": key})  # both must parse
    return Certificate(Cert=cert, Key=key)


X509 = {
    "genCA": lambda cn, days: make_certificate(cn, None, None, days, _rsa_2048(), is_ca=True),
    "genCAWithKey": lambda cn, days, pem: make_certificate(cn, None, None, days, _parse_key(_s(pem)), is_ca=True),
    "genSelfSignedCert": lambda cn, ips, dns, days: make_certificate(cn, ips, dns, days, _rsa_2048()),
    "genSelfSignedCertWithKey": lambda cn, ips, dns, days, pem: make_certificate(
        cn, ips, dns, days, _parse_key(_s(pem))),
    "genSignedCert": lambda cn, ips, dns, days, ca: make_certificate(cn, ips, dns, days, _rsa_2048(), ca=ca),
    "genSignedCertWithKey": lambda cn, ips, dns, days, ca, pem: make_certificate(
        cn, ips, dns, days, _parse_key(_s(pem)), ca=ca),
    "buildCustomCert": build_custom_cert,
}
