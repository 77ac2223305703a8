#!/usr/bin/env bash
# Regenerates the key-format fixtures in this folder (see README.md).
# TEST-ONLY: every private key here is a throwaway committed on purpose.
# Needs OpenSSL >= 3.0 and Python 3 with `cryptography`.
set -euo pipefail
cd "$(dirname "$0")"

# SEC1 `EC PRIVATE KEY` preceded by `EC PARAMETERS`, as `openssl ecparam -genkey` writes it.
openssl ecparam -name secp384r1 -genkey -out sec1-p384-with-params.pem
# PKCS#8 P-521 encrypted the way `openssl pkcs8 -topk8 -v2 aes-256-cbc` does (passphrase: test).
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-521 \
  | openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:test -out openssl-encrypted-p521.pem
# Keys OMS cannot sign with.
openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 -out secp256k1.pem
openssl pkey -in secp256k1.pem -pubout -out secp256k1-pub.pem
openssl genpkey -quiet -algorithm ED25519 -out ed25519.pem
openssl pkey -in ed25519.pem -pubout -out ed25519-pub.pem
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.pem
openssl pkey -in rsa.pem -pubout -out rsa-pub.pem
# Legacy OpenSSL PEM encryption (Proc-Type/DEK-Info headers), which is not supported.
openssl ec -in sec1-p384-with-params.pem -aes256 -passout pass:test -out legacy-encrypted.pem 2>/dev/null

# PKCS#8 P-256 encrypted by Python `cryptography` BestAvailableEncryption (passphrase: test).
python3 - <<'PY'
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
key = ec.generate_private_key(ec.SECP256R1())
pem = key.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.BestAvailableEncryption(b"test"),
)
open("cryptography-encrypted-p256.pem", "wb").write(pem)
pub = key.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
open("cryptography-encrypted-p256-pub.pem", "wb").write(pub)
PY
chmod 644 ./*.pem
