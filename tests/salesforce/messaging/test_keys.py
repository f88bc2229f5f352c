"""The key pair, its certificate and the JWK Salesforce takes; and what pasted keys are refused
for, each with the message an admin sees."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fakes.miaw import FakeMessaging
from tests.salesforce.messaging.settings_helpers import key_pair, weak_private_key_pem
from webapp.models import utcnow
from webapp.salesforce.messaging import keys


def _b64url_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


# -- a new pair ------------------------------------------------------------------------------------


def test_a_new_pair_is_rsa_2048_with_a_self_signed_certificate_for_a_year():
    pair = key_pair()
    private = keys.load_private_key(pair.private_key_pem)
    public = keys.load_public_key(pair.public_key_pem)
    assert private.key_size == pair.bits == 2048
    keys.check_pair(private, public)
    assert pair.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert pair.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")

    certificate = keys.load_certificate(pair.certificate_pem)
    assert certificate.subject == certificate.issuer
    assert keys.public_pem(certificate.public_key()) == pair.public_key_pem
    certificate.verify_directly_issued_by(certificate)  # signed by its own key
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert timedelta(days=365) <= lifetime <= timedelta(days=366)
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False


def test_the_jwk_is_one_rs256_signing_key_with_the_certificate_in_x5c():
    pair = key_pair()
    certificate = keys.load_certificate(pair.certificate_pem)
    jwk = keys.jwk(certificate, "kid-1")

    assert set(jwk) == {"kty", "kid", "alg", "use", "n", "e", "x5c"}
    assert (jwk["kty"], jwk["kid"], jwk["alg"], jwk["use"]) == ("RSA", "kid-1", "RS256", "sig")
    numbers = keys.load_public_key(pair.public_key_pem).public_numbers()
    assert _b64url_int(jwk["n"]) == numbers.n and _b64url_int(jwk["e"]) == numbers.e
    assert "=" not in jwk["n"] + jwk["e"]  # base64url without padding (RFC 7518)
    assert isinstance(jwk["x5c"], list) and len(jwk["x5c"]) == 1
    der = base64.b64decode(jwk["x5c"][0], validate=True)  # standard base64 (RFC 7517), not url-safe
    assert der == certificate.public_bytes(serialization.Encoding.DER)


def test_salesforce_takes_the_jwk_as_an_upload():
    fake = FakeMessaging()
    jwk = keys.jwk(keys.load_certificate(key_pair().certificate_pem), "kid-1")
    fake.register_key(jwk, "https://issuer.example")
    assert (
        fake.keys["kid-1"].public_key.public_numbers()
        == keys.load_public_key(key_pair().public_key_pem).public_numbers()
    )


def test_a_certificate_is_kept_while_it_fits_and_made_again_when_it_does_not():
    pair, other = key_pair(), key_pair(1)
    assert keys.certificate_for(pair.private_key_pem, pair.certificate_pem) == pair.certificate_pem

    for stale in (other.certificate_pem, None, "not a certificate"):
        made = keys.certificate_for(pair.private_key_pem, stale)
        assert keys.public_pem(keys.load_certificate(made).public_key()) == pair.public_key_pem

    # Salesforce refuses an upload whose certificate has less than 10 days left: a new one then.
    late = utcnow() + timedelta(days=360)
    renewed = keys.load_certificate(keys.certificate_for(pair.private_key_pem, pair.certificate_pem, now=late))
    assert renewed.not_valid_after_utc > late + timedelta(days=300)


# -- pasted keys -----------------------------------------------------------------------------------


def _body(pem: str) -> str:
    return "".join(line for line in pem.strip().splitlines() if not line.startswith("-----"))


def _ec_private_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_keys_pasted_on_one_line_or_with_windows_line_ends_are_read():
    pair = key_pair()
    one_line = pair.public_key_pem.replace("\n", " ")
    assert keys.public_pem(keys.load_public_key(one_line)) == pair.public_key_pem
    windows = pair.private_key_pem.replace("\n", "\r\n")
    assert keys.private_pem(keys.load_private_key(windows)) == pair.private_key_pem
    spaced = f"  Bag Attributes: from an export\n{pair.private_key_pem}\n\n"
    assert keys.private_pem(keys.load_private_key(spaced)) == pair.private_key_pem


def test_pkcs1_rsa_keys_are_read_too():
    private = keys.load_private_key(key_pair().private_key_pem)
    pkcs1_private = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    pkcs1_public = (
        private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    )
    assert pkcs1_private.startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert pkcs1_public.startswith("-----BEGIN RSA PUBLIC KEY-----")
    keys.check_pair(keys.load_private_key(pkcs1_private), keys.load_public_key(pkcs1_public))


PUBLIC = key_pair().public_key_pem
PRIVATE = key_pair().private_key_pem


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_body(PUBLIC), "The public key has no header line: it must start with -----BEGIN PUBLIC KEY-----"),
        (
            PUBLIC.replace("-----END PUBLIC KEY-----", ""),
            "The public key has no footer line: it must end with -----END PUBLIC KEY-----",
        ),
        (PUBLIC.replace(PUBLIC.splitlines()[2], "@@@@"), "The public key could not be read"),
        (PUBLIC.replace(PUBLIC.splitlines()[2], ""), "The public key could not be read"),
        (PUBLIC + PUBLIC, "Paste one key only as the public key: this holds 2 PEM blocks."),
        (PRIVATE, "This is a private key: paste it as the private key"),
        (key_pair().certificate_pem, "This is a certificate, not the public key"),
        (
            "-----BEGIN PGP PUBLIC KEY BLOCK-----\nabc\n-----END PGP PUBLIC KEY BLOCK-----",
            "must start with -----BEGIN PUBLIC KEY----- or -----BEGIN RSA PUBLIC KEY-----",
        ),
    ],
)
def test_a_public_key_that_cannot_be_used_says_why(text, message):
    with pytest.raises(keys.KeyProblem) as refused:
        keys.load_public_key(text)
    assert message in str(refused.value)


def test_a_private_key_that_cannot_be_used_says_why_without_quoting_it():
    weak = weak_private_key_pem()
    cases = [
        (_body(PRIVATE), "The private key has no header line: it must start with -----BEGIN PRIVATE KEY-----"),
        (PRIVATE.replace("-----END PRIVATE KEY-----", ""), "The private key has no footer line"),
        (PUBLIC, "This is a public key: paste it as the public key"),
        (weak, "This private key is RSA 1024 bits: Salesforce needs at least 2048."),
        (_ec_private_pem(), "This private key is not an RSA key"),
        (
            keys.load_private_key(PRIVATE)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"passphrase"),
            )
            .decode(),
            "This private key is protected by a passphrase.",
        ),
        (
            keys.load_private_key(PRIVATE)
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.BestAvailableEncryption(b"passphrase"),
            )
            .decode(),
            "This private key is protected by a passphrase.",
        ),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n-----END OPENSSH PRIVATE KEY-----", "This is an OpenSSH key"),
    ]
    for text, message in cases:
        with pytest.raises(keys.KeyProblem) as refused:
            keys.load_private_key(text)
        assert message in str(refused.value)
        assert _body(text)[:40] not in str(refused.value)


def test_a_1024_bit_public_key_is_refused():
    weak_public = keys.public_pem(_weak_public())
    with pytest.raises(keys.KeyProblem, match="This public key is RSA 1024 bits: Salesforce needs at least 2048."):
        keys.load_public_key(weak_public)


def _weak_public() -> rsa.RSAPublicKey:
    return serialization.load_pem_private_key(weak_private_key_pem().encode(), password=None).public_key()


def test_keys_of_two_pairs_are_not_a_pair():
    with pytest.raises(keys.KeyProblem, match="The public key and the private key are not a pair"):
        keys.check_pair(
            keys.load_private_key(key_pair().private_key_pem), keys.load_public_key(key_pair(1).public_key_pem)
        )


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(max_size=400),
        st.builds(lambda body: f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----", st.text(max_size=300)),
        st.builds(
            lambda body: f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----",
            st.from_regex(r"[A-Za-z0-9+/=\s]{0,300}", fullmatch=True),
        ),
    )
)
def test_whatever_is_pasted_ends_in_a_key_or_a_key_problem(text):
    for load in (keys.load_public_key, keys.load_private_key):
        try:
            load(text)
        except keys.KeyProblem:
            pass
