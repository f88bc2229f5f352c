"""The RSA key pair that proves to Salesforce who a customer is, and the JWK an admin uploads.

Salesforce verifies each customer identity token (webapp.salesforce.messaging.identity) against
keys uploaded one by one in Setup → Enhanced Chat User Verification, as a JSON Web Key with
``kty``, ``kid``, ``alg`` and ``x5c`` (a base64 DER certificate, valid for at least 10 more days)
besides ``n``, ``e`` and ``use``; an array of keys is refused (Salesforce Help, Troubleshooting
User Verification). A bare public key cannot be uploaded, so Switchboard makes the certificate
itself, self-signed with the private key, the way Salesforce's own key utility expects one made
with ``openssl req -x509``: nobody needs openssl to set this up.

Pasted keys are read here with messages that say what is wrong in the admin's words (a missing
header line, a 1024-bit key, a pair that does not match). A message never quotes the key.
"""

from __future__ import annotations

import base64
import re
import secrets
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from webapp.models import utcnow

KEY_BITS = 2048  # what Generate a key pair makes
MIN_BITS = 2048  # Salesforce's own utility and every guide use 2048; less is refused as weak
MAX_BITS = 8192  # more only makes every signature slower
PUBLIC_EXPONENT = 65537
CERTIFICATE_DAYS = 365
CERTIFICATE_MIN_DAYS_LEFT = 10  # Salesforce refuses an upload whose certificate expires sooner
CERTIFICATE_NAME = "Switchboard customer verification"
ALGORITHM = "RS256"

PUBLIC_LABELS = ("PUBLIC KEY", "RSA PUBLIC KEY")
PRIVATE_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY")
SECRET_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY")
_HEADER = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


class KeyProblem(ValueError):
    """A pasted key that cannot be used; the message says why and never quotes the key."""


@dataclass(frozen=True)
class KeyPair:
    """A private key with its public key and self-signed certificate, as PEM text."""

    private_key_pem: str
    public_key_pem: str
    certificate_pem: str
    bits: int


# -- reading what an admin pasted ------------------------------------------------------------------


def _pem_block(text: str, *, what: str, labels: tuple[str, ...]) -> tuple[str, bytes]:
    """The one PEM block of ``text`` (its label and DER bytes). Line breaks lost in the copy
    (a key pasted on one line, or with Windows line ends) are forgiven; a missing header or
    footer line is not, since it usually means the key was cut short."""
    text = (text or "").strip()
    shown = labels[0]
    headers = _HEADER.findall(text)
    if not headers:
        raise KeyProblem(
            f"The {what} has no header line: it must start with -----BEGIN {shown}----- and end with "
            f"-----END {shown}-----. Paste the whole key, both lines included."
        )
    if len(headers) > 1:
        raise KeyProblem(f"Paste one key only as the {what}: this holds {len(headers)} PEM blocks.")
    label = headers[0]
    if label not in labels:
        raise KeyProblem(_wrong_label(what, label, labels))
    start = text.index(f"-----BEGIN {label}-----") + len(f"-----BEGIN {label}-----")
    footer = f"-----END {label}-----"
    end = text.find(footer, start)
    if end < 0:
        raise KeyProblem(
            f"The {what} has no footer line: it must end with {footer}. Paste the whole key, both lines included."
        )
    body = text[start:end]
    if "Proc-Type:" in body or "DEK-Info:" in body:
        raise KeyProblem(_ENCRYPTED)
    body = re.sub(r"\s+", "", body)
    if not body or not _BASE64.fullmatch(body):
        raise KeyProblem(_damaged(what))
    try:
        return label, base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise KeyProblem(_damaged(what)) from exc


_ENCRYPTED = (
    "This private key is protected by a passphrase. Paste it without the passphrase, or use Generate a key pair."
)


def _damaged(what: str) -> str:
    return (
        f"The {what} could not be read: the lines between its header and footer are damaged or cut short. "
        "Copy the whole key again."
    )


def _wrong_label(what: str, label: str, labels: tuple[str, ...]) -> str:
    if what == "public key" and label in SECRET_LABELS:
        return (
            "This is a private key: paste it as the private key, and the public key (-----BEGIN PUBLIC KEY-----) here."
        )
    if label == "ENCRYPTED PRIVATE KEY":
        return _ENCRYPTED
    if what == "private key" and label in PUBLIC_LABELS:
        return (
            "This is a public key: paste it as the public key, and the private key (-----BEGIN PRIVATE KEY-----) here."
        )
    if label == "CERTIFICATE":
        return f"This is a certificate, not the {what}: paste the key itself (-----BEGIN {labels[0]}-----)."
    if label == "OPENSSH PRIVATE KEY":
        return (
            "This is an OpenSSH key: paste an RSA key in PEM form (-----BEGIN PRIVATE KEY-----), or Generate a "
            "key pair."
        )
    expected = " or ".join(f"-----BEGIN {item}-----" for item in labels)
    return f"The {what} must start with {expected}, not -----BEGIN {label}-----."


def _pem_wrapped(label: str, der: bytes) -> bytes:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()


def _check_rsa(key: object, what: str) -> None:
    if not isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        raise KeyProblem(
            f"This {what} is not an RSA key (it is an elliptic-curve or other kind): Salesforce verifies customer "
            f"tokens signed with RSA ({ALGORITHM}). Use an RSA key of at least {MIN_BITS} bits, or Generate a key pair."
        )
    bits = key.key_size
    if bits < MIN_BITS:
        raise KeyProblem(
            f"This {what} is RSA {bits} bits: Salesforce needs at least {MIN_BITS}. Use Generate a key pair, "
            f"or make a {KEY_BITS}-bit key."
        )
    if bits > MAX_BITS:
        raise KeyProblem(f"This {what} is RSA {bits} bits: use {KEY_BITS} to 4096 bits.")


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """The RSA public key in ``text`` (SubjectPublicKeyInfo or PKCS#1 PEM); KeyProblem otherwise."""
    label, der = _pem_block(text, what="public key", labels=PUBLIC_LABELS)
    try:
        key = serialization.load_pem_public_key(_pem_wrapped(label, der))
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise KeyProblem(_damaged("public key")) from exc
    _check_rsa(key, "public key")
    return key


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """The RSA private key in ``text`` (PKCS#8 or PKCS#1 PEM, without a passphrase); KeyProblem otherwise."""
    label, der = _pem_block(text, what="private key", labels=PRIVATE_LABELS)
    try:
        key = serialization.load_pem_private_key(_pem_wrapped(label, der), password=None)
    except TypeError as exc:  # a passphrase is needed
        raise KeyProblem(_ENCRYPTED) from exc
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise KeyProblem(_damaged("private key")) from exc
    _check_rsa(key, "private key")
    return key


def check_pair(private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey) -> None:
    if private_key.public_key().public_numbers() != public_key.public_numbers():
        raise KeyProblem(
            "The public key and the private key are not a pair: the public key belongs to another private key. "
            "Paste both keys of one pair, or leave the public key empty to have it made from the private key."
        )


# -- writing ---------------------------------------------------------------------------------------


def public_pem(key: rsa.RSAPublicKey | rsa.RSAPrivateKey) -> str:
    """The public key as SubjectPublicKeyInfo PEM (``-----BEGIN PUBLIC KEY-----``)."""
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_pem(key: rsa.RSAPrivateKey) -> str:
    """The private key as unencrypted PKCS#8 PEM; it is stored encrypted as a credential."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def self_signed_certificate(private_key: rsa.RSAPrivateKey, *, now: datetime | None = None) -> x509.Certificate:
    """A certificate for the key, signed by itself and valid for a year: Salesforce reads the
    public key from the JWK's ``x5c`` and wants a certificate there, not a chain of trust."""
    now = now or utcnow()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CERTIFICATE_NAME)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a clock a little ahead still accepts it
        .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(private_key, hashes.SHA256())
    )


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def load_certificate(text: str | None) -> x509.Certificate | None:
    """A stored certificate, or None when there is none or it cannot be read."""
    if not text:
        return None
    try:
        return x509.load_pem_x509_certificate(text.encode())
    except ValueError:
        return None


def certificate_fits(certificate: x509.Certificate | None, public_key_pem: str, *, now: datetime | None = None) -> bool:
    """Whether the certificate is for this public key and still has the days left Salesforce
    wants at upload time."""
    if certificate is None:
        return False
    now = now or utcnow()
    left = certificate.not_valid_after_utc - now
    return public_pem(certificate.public_key()) == public_key_pem and left >= timedelta(days=CERTIFICATE_MIN_DAYS_LEFT)


def certificate_for(private_key_pem: str, certificate_text: str | None, *, now: datetime | None = None) -> str:
    """The stored certificate when it still fits the key, else a new one made from the key: a
    pasted key pair gets its certificate here, and an old one is renewed on the next save."""
    private_key = load_private_key(private_key_pem)
    if certificate_fits(load_certificate(certificate_text), public_pem(private_key), now=now):
        return certificate_text
    return certificate_pem(self_signed_certificate(private_key, now=now))


def new_key_id() -> str:
    """A ``kid`` for a key made here: recognisable in Salesforce's list of keys, and unique."""
    return f"switchboard-{secrets.token_hex(6)}"


def new_key_pair(*, now: datetime | None = None) -> KeyPair:
    """A new RSA 2048 key pair and its certificate."""
    private_key = rsa.generate_private_key(public_exponent=PUBLIC_EXPONENT, key_size=KEY_BITS)
    return KeyPair(
        private_key_pem=private_pem(private_key),
        public_key_pem=public_pem(private_key),
        certificate_pem=certificate_pem(self_signed_certificate(private_key, now=now)),
        bits=KEY_BITS,
    )


def _base64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwk(certificate: x509.Certificate, kid: str) -> dict:
    """The JSON Web Key to upload in Salesforce: one key (never an array), RS256, for
    signatures, with the certificate in ``x5c`` as standard base64 DER (RFC 7517 §4.7) and
    ``n`` and ``e`` as base64url (RFC 7518 §6.3.1).

    Salesforce's sample JWK, and the JWK its key utility writes (JwkUtil.java), also carry the
    placeholders ``"y": "y"``, ``"crv": "crv"``, ``"d": "d"`` and ``"k": "k"``. They are left out:
    the properties Salesforce requires are kty, kid, alg and x5c, and ``d`` names a private
    exponent that any standard reader of this key would trip on (an inference: not tried on an org).
    """
    numbers = certificate.public_key().public_numbers()
    return {
        "kty": "RSA",
        "kid": kid,
        "alg": ALGORITHM,
        "use": "sig",
        "n": _base64url_uint(numbers.n),
        "e": _base64url_uint(numbers.e),
        "x5c": [base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()],
    }


def bits_of(public_key_pem: str | None) -> int | None:
    """The size of a stored public key, for the page ("saved, RSA 2048")."""
    if not public_key_pem:
        return None
    try:
        return load_public_key(public_key_pem).key_size
    except KeyProblem:
        return None
