"""Sprig functions added for the whole function map, against the values their upstream
documents or tests state (sprig's docs; Masterminds/semver v3.3.0 constraints_test.go
TestConstraintsCheck, whose table is reproduced here)."""

from __future__ import annotations

import pytest

from localflow.errors import ExprError
from localflow.expr import evaluate

# (constraint, version, satisfied): Masterminds/semver v3.3.0, TestConstraintsCheck
SEMVER_CHECKS = [
    ("*", "1.2.3", True),
    ("~0.0.0", "1.2.3", True),
    ("0.x.x", "1.2.3", False),
    ("0.0.x", "1.2.3", False),
    ("0.0.0", "1.2.3", False),
    ("*", "1.2.3", True),
    ("^0.0.0", "1.2.3", False),
    ("= 2.0", "1.2.3", False),
    ("= 2.0", "2.0.0", True),
    ("4.1", "4.1.0", True),
    ("4.1.x", "4.1.3", True),
    ("1.x", "1.4", True),
    ("!=4.1", "4.1.0", False),
    ("!=4.1-alpha", "4.1.0-alpha", False),
    ("!=4.1-alpha", "4.1.1-alpha", False),
    ("!=4.1-alpha", "4.1.0", True),
    ("!=4.1", "5.1.0", True),
    ("!=4.x", "5.1.0", True),
    ("!=4.x", "4.1.0", False),
    ("!=4.1.x", "4.2.0", True),
    ("!=4.2.x", "4.2.3", False),
    (">1.1", "4.1.0", True),
    (">1.1", "1.1.0", False),
    ("<1.1", "0.1.0", True),
    ("<1.1", "1.1.0", False),
    ("<1.1", "1.1.1", False),
    ("<1.x", "1.1.1", False),
    ("<1.x", "0.1.1", True),
    ("<1.x", "2.0.0", False),
    ("<1.1.x", "1.2.1", False),
    ("<1.1.x", "1.1.500", False),
    ("<1.1.x", "1.0.500", True),
    ("<1.2.x", "1.1.1", True),
    (">=1.1", "4.1.0", True),
    (">=1.1", "4.1.0-beta", False),
    (">=1.1", "1.1.0", True),
    (">=1.1", "0.0.9", False),
    ("<=1.1", "0.1.0", True),
    ("<=1.1", "0.1.0-alpha", False),
    ("<=1.1-a", "0.1.0-alpha", True),
    ("<=1.1", "1.1.0", True),
    ("<=1.x", "1.1.0", True),
    ("<=2.x", "3.0.0", False),
    ("<=1.1", "1.1.1", True),
    ("<=1.1.x", "1.2.500", False),
    ("<=4.5", "3.4.0", True),
    ("<=4.5", "3.7.0", True),
    ("<=4.5", "4.6.3", False),
    (">1.1, <2", "1.1.1", False),
    (">1.1, <2", "1.2.1", True),
    (">1.1, <3", "4.3.2", False),
    (">=1.1, <2, !=1.2.3", "1.2.3", False),
    (">1.1 <2", "1.1.1", False),
    (">1.1 <2", "1.2.1", True),
    (">1.1    <3", "4.3.2", False),
    (">=1.1    <2    !=1.2.3", "1.2.3", False),
    (">=1.1, <2, !=1.2.3 || > 3", "4.1.2", True),
    (">=1.1, <2, !=1.2.3 || > 3", "3.1.2", False),
    (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", True),
    (">=1.1, <2, !=1.2.3 || > 3", "3.0.0", False),
    (">=1.1, <2, !=1.2.3 || > 3", "1.2.3", False),
    (">=1.1 <2 !=1.2.3", "1.2.3", False),
    (">=1.1 <2 !=1.2.3 || > 3", "4.1.2", True),
    (">=1.1 <2 !=1.2.3 || > 3", "3.1.2", False),
    (">=1.1 <2 !=1.2.3 || >= 3", "3.0.0", True),
    (">=1.1 <2 !=1.2.3 || > 3", "3.0.0", False),
    (">=1.1 <2 !=1.2.3 || > 3", "1.2.3", False),
    ("> 1.1, <     2", "1.1.1", False),
    (">   1.1, <2", "1.2.1", True),
    (">1.1, <  3", "4.3.2", False),
    (">= 1.1, <     2, !=1.2.3", "1.2.3", False),
    ("> 1.1 < 2", "1.1.1", False),
    (">1.1 < 2", "1.2.1", True),
    ("> 1.1    <3", "4.3.2", False),
    (">=1.1    < 2    != 1.2.3", "1.2.3", False),
    (">= 1.1, <2, !=1.2.3 || > 3", "4.1.2", True),
    (">= 1.1, <2, != 1.2.3 || > 3", "3.1.2", False),
    (">= 1.1, <2, != 1.2.3 || >= 3", "3.0.0", True),
    (">= 1.1, <2, !=1.2.3 || > 3", "3.0.0", False),
    (">= 1.1, <2, !=1.2.3 || > 3", "1.2.3", False),
    (">= 1.1 <2 != 1.2.3", "1.2.3", False),
    (">= 1.1 <2 != 1.2.3 || > 3", "4.1.2", True),
    (">= 1.1 <2 != 1.2.3 || > 3", "3.1.2", False),
    (">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", True),
    (">= 1.1 < 2 !=1.2.3 || > 3", "3.0.0", False),
    (">=1.1 < 2 !=1.2.3 || > 3", "1.2.3", False),
    ("1.1 - 2", "1.1.1", True),
    ("1.5.0 - 4.5", "3.7.0", True),
    ("1.1-3", "4.3.2", False),
    ("^1.1", "1.1.1", True),
    ("^1.1", "4.3.2", False),
    ("^1.x", "1.1.1", True),
    ("^2.x", "1.1.1", False),
    ("^1.x", "2.1.1", False),
    ("^1.x", "1.1.1-beta1", False),
    ("^1.1.2-alpha", "1.2.1-beta1", True),
    ("^1.2.x-alpha", "1.1.1-beta1", False),
    ("^0.0.1", "0.0.1", True),
    ("^0.0.1", "0.3.1", False),
    ("~*", "2.1.1", True),
    ("~1", "2.1.1", False),
    ("~1", "1.3.5", True),
    ("~1", "1.4", True),
    ("~1.x", "2.1.1", False),
    ("~1.x", "1.3.5", True),
    ("~1.x", "1.4", True),
    ("~1.1", "1.1.1", True),
    ("~1.1", "1.1.1-alpha", False),
    ("~1.1-alpha", "1.1.1-beta", True),
    ("~1.1.1-beta", "1.1.1-alpha", False),
    ("~1.1.1-beta", "1.1.1", True),
    ("~1.2.3", "1.2.5", True),
    ("~1.2.3", "1.2.2", False),
    ("~1.2.3", "1.3.2", False),
    ("~1.1", "1.2.3", False),
    ("~1.3", "2.4.5", False),
    ("1.0.0 - 2.0.0 <=2.0.0", "1.5.0", True),
    ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", True),
]


@pytest.mark.parametrize(("constraint", "version", "satisfied"), SEMVER_CHECKS)
def test_semver_compare(constraint, version, satisfied):
    assert evaluate("sprig.semverCompare(c, v)", {"c": constraint, "v": version}) is satisfied


@pytest.mark.parametrize(("constraint", "version"), [("not a constraint", "1.2.3"), ("^1", "x.y")])
def test_semver_compare_errors(constraint, version):
    with pytest.raises(ExprError):
        evaluate("sprig.semverCompare(c, v)", {"c": constraint, "v": version})


@pytest.mark.parametrize(
    ("source", "expected"),
    [  # sprig's docs (docs/strings.md, docs/date.md, docs/semver.md)
        ("sprig.swapcase('This Is A.Test')", "tHIS iS a.tEST"),
        ("sprig.abbrevboth(5, 10, '1234 5678 9123')", "...5678..."),
        ("sprig.untitle('Hello World')", "hello world"),
        ("sprig.wrap(5, 'Hello World')", "Hello\nWorld"),
        ("sprig.wrapWith(5, '\\t', 'Hello World')", "Hello\tWorld"),
        ("sprig.durationRound('2h10m5s')", "2h"),
        ("sprig.semver('1.2.3-alpha.1+123').Major()", 1),
        ("sprig.semver('1.2.3-alpha.1+123').Minor()", 2),
        ("sprig.semver('1.2.3-alpha.1+123').Patch()", 3),
        ("sprig.semver('1.2.3-alpha.1+123').Prerelease()", "alpha.1"),
        ("sprig.semver('1.2.3-alpha.1+123').Metadata()", "123"),
        ("sprig.semver('1.2.3').Compare(sprig.semver('1.2.4'))", -1),
        ("sprig.osBase('/a/b.txt')", "b.txt"),
    ],
)
def test_documented_values(source, expected):
    assert evaluate(source, {}) == expected


@pytest.mark.parametrize(
    ("text", "snake"),
    [  # huandu/xstrings convert_test.go TestToSnakeCase (kebab: the same with "-")
        ("HTTPServer", "http_server"), ("_camelCase", "_camel_case"), ("NoHTTPS", "no_https"),
        ("Wi_thF", "wi_th_f"), ("_AnotherTES_TCaseP", "_another_tes_t_case_p"), ("ALL", "all"),
        ("_HELLO_WORLD_", "_hello_world_"), ("HELLO____WORLD", "hello____world"), ("http2xx", "http_2xx"),
        ("HTTP2XX", "http2_xx"), ("HTTP20xOK", "http_20x_ok"), ("HTTP-20xStatus", "http_20x_status"),
        ("Duration2m3s", "duration_2m3s"), ("Bld4Floor3rd", "bld4_floor_3rd"), (" _-_ ", "_____"),
        ("a1b2c3d", "a_1b2c3d"), ("A//B%%2c", "a//b%%2c"), ("HTTP状态码404/502Error", "http_状态码404/502_error"),
        ("混合ABCWords与123数字456", "混合_abc_words_与123_数字456"), ("  sentence case  ", "__sentence_case__"),
        ("FROM CamelCase to snake/kebab-case", "from_camel_case_to_snake/kebab_case"),
        ("abc_123_def", "abc_123_def"),
    ],
)
def test_snakecase_and_kebabcase(text, snake):
    assert evaluate("sprig.snakecase(t)", {"t": text}) == snake
    assert evaluate("sprig.kebabcase(t)", {"t": text}) == snake.replace("_", "-")


@pytest.mark.parametrize(
    ("text", "camel"),
    [  # huandu/xstrings convert_test.go TestToCamelCase
        ("http_server", "HttpServer"), ("_camel_case", "_CamelCase"), ("no_https", "NoHttps"),
        ("_complex__case_", "_Complex_Case_"), (" complex -case ", " Complex Case "), ("all", "All"),
        ("GOLANG_IS_GREAT", "GOLANGISGREAT"), ("a", "A"), ("好", "好"),
        ("FROM CamelCase to snake/kebab-case", "FROMCamelCaseToSnake/kebabCase"),
    ],
)
def test_camelcase(text, camel):
    assert evaluate("sprig.camelcase(t)", {"t": text}) == camel


@pytest.mark.parametrize(
    ("url", "fields"),
    [  # sprig v3.3.0 url_test.go urlTests
        ("proto://auth@host:80/path?query#fragment",
         {"fragment": "fragment", "host": "host:80", "hostname": "host", "opaque": "", "path": "/path",
          "query": "query", "scheme": "proto", "userinfo": "auth"}),
        ("proto://host:80/path",
         {"fragment": "", "host": "host:80", "hostname": "host", "opaque": "", "path": "/path", "query": "",
          "scheme": "proto", "userinfo": ""}),
        ("something",
         {"fragment": "", "host": "", "hostname": "", "opaque": "", "path": "something", "query": "",
          "scheme": "", "userinfo": ""}),
        ("proto://user:passwor%20d@host:80/path",
         {"fragment": "", "host": "host:80", "hostname": "host", "opaque": "", "path": "/path", "query": "",
          "scheme": "proto", "userinfo": "user:passwor%20d"}),
        ("proto://host:80/pa%20th?key=val%20ue",
         {"fragment": "", "host": "host:80", "hostname": "host", "opaque": "", "path": "/pa th",
          "query": "key=val%20ue", "scheme": "proto", "userinfo": ""}),
    ],
)
def test_url_parse(url, fields):
    assert evaluate("sprig.urlParse(u)", {"u": url}) == fields


@pytest.mark.parametrize(
    ("fields", "url"),
    [  # sprig v3.3.0 url_test.go TestUrlJoin
        ({"fragment": "fragment", "host": "host:80", "path": "/path", "query": "query", "scheme": "proto"},
         "proto://host:80/path?query#fragment"),
        ({"fragment": "fragment", "host": "host:80", "path": "/path", "scheme": "proto", "userinfo": "ASDJKJSD"},
         "proto://ASDJKJSD@host:80/path#fragment"),
    ],
)
def test_url_join(fields, url):
    assert evaluate("sprig.urlJoin(d)", {"d": fields}) == url


def test_get_host_by_name():
    assert evaluate("sprig.getHostByName('localhost')", {}) in ("127.0.0.1", "::1")
    with pytest.raises(ExprError):
        evaluate("sprig.getHostByName('no-such-host.invalid')", {})


@pytest.mark.parametrize(
    ("source", "expected"),
    [  # sprig v3.3.0 crypto_test.go TestDerivePassword
        ("sprig.derivePassword(1, 'long', 'password', 'user', 'example.com')", "ZedaFaxcZaso9*"),
        ("sprig.derivePassword(2, 'long', 'password', 'user', 'example.com')", "Fovi2@JifpTupx"),
        ("sprig.derivePassword(1, 'maximum', 'password', 'user', 'example.com')", "pf4zS1LjCg&LjhsZ7T2~"),
        ("sprig.derivePassword(1, 'medium', 'password', 'user', 'example.com')", "ZedJuz8$"),
        ("sprig.derivePassword(1, 'basic', 'password', 'user', 'example.com')", "pIS54PLs"),
        ("sprig.derivePassword(1, 'short', 'password', 'user', 'example.com')", "Zed5"),
        ("sprig.derivePassword(1, 'pin', 'password', 'user', 'example.com')", "6685"),
    ],
)
def test_derive_password(source, expected):
    assert evaluate(source, {}) == expected


def test_aes_round_trip_and_bcrypt():
    from Crypto.Protocol.KDF import bcrypt_check

    secret = evaluate("sprig.encryptAES('secretkey', 'plaintext')", {})
    assert evaluate("sprig.decryptAES('secretkey', s)", {"s": secret}) == "plaintext"
    hashed = evaluate("sprig.bcrypt('hello')", {})
    assert hashed.startswith("$2a$10$")
    bcrypt_check(b"hello", hashed)  # raises when it does not match
    assert evaluate("sprig.htpasswd('a:b', 'x')", {}) == "invalid username: a:b"


@pytest.mark.parametrize(("kind", "header"), [("ecdsa", "EC PRIVATE KEY"), ("ed25519", "PRIVATE KEY")])
def test_gen_private_key(kind, header):
    pem = evaluate("sprig.genPrivateKey(k)", {"k": kind})
    assert pem.startswith(f"-----BEGIN {header}-----\n") and pem.endswith(f"-----END {header}-----\n")


def _decoded(pem: str, tmp_path) -> dict:
    """The certificate as CPython's OpenSSL binding reads it."""
    import ssl

    path = tmp_path / "cert.pem"
    path.write_text(pem)
    return ssl._ssl._test_decode_cert(str(path))


def _signature_verifies(cert_pem: str, issuer_key_pem: str) -> None:
    """The signature of the certificate's TBS bytes checks with the issuer's key (pycryptodome)."""
    import base64

    from Crypto.Hash import SHA256
    from Crypto.PublicKey import ECC
    from Crypto.Signature import DSS

    from localflow.expr._x509 import _children, _read

    der = base64.b64decode("".join(cert_pem.splitlines()[1:-1]))
    tbs, _alg, signature = _children(_read(der)[1])
    DSS.new(ECC.import_key(issuer_key_pem).public_key(), "fips-186-3", encoding="der").verify(
        SHA256.new(tbs[2]), signature[1][1:])


def test_certificates(tmp_path):
    """sprig's docs: genCA, genSignedCert with IPs and DNS names, the WithKey forms, buildCustomCert."""
    key = evaluate("sprig.genPrivateKey('ecdsa')", {})
    ca = evaluate("sprig.genCAWithKey('my-ca', 365, k)", {"k": key})
    leaf = evaluate("sprig.genSignedCertWithKey('leaf', ['10.0.0.1'], ['leaf.example'], 30, ca, k)",
                    {"k": key, "ca": ca})
    assert _decoded(ca["Cert"], tmp_path)["subject"] == ((("commonName", "my-ca"),),)
    decoded = _decoded(leaf["Cert"], tmp_path)
    assert decoded["issuer"] == ((("commonName", "my-ca"),),)
    assert decoded["subjectAltName"] == (("DNS", "leaf.example"), ("IP Address", "10.0.0.1"))
    _signature_verifies(leaf["Cert"], key)
    assert evaluate("c.Key", {"c": leaf}) == key
    rebuilt = evaluate("sprig.buildCustomCert(sprig.b64enc(c.Cert), sprig.b64enc(c.Key))", {"c": ca})
    assert rebuilt == ca
    rsa_ca = evaluate("sprig.genCA('rsa-ca', 1)", {})
    assert rsa_ca["Key"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    with pytest.raises(ExprError, match="parsing private key"):
        evaluate("sprig.genCAWithKey('x', 1, 'not a key')", {})
