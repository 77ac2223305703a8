#!/usr/bin/env bash
# Regenerates the X.509 test certificates in this folder (see README.md).
# TEST-ONLY: every private key written here is a throwaway committed on purpose; never trust
# these certificates anywhere else.
#
# Needs OpenSSL >= 1.1.1 (`openssl ca` sets explicit validity dates, so the expired leaf can
# be made without waiting). Run from anywhere: ./generate.sh
set -euo pipefail
cd "$(dirname "$0")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/index.txt"
echo 1000 > "$work/serial"

cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = test_ca
[test_ca]
database = $work/index.txt
new_certs_dir = $work
serial = $work/serial
policy = any
unique_subject = no
email_in_dn = no
[any]
commonName = supplied
organizationName = optional
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[loop_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
[name_constrained]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
nameConstraints = critical, permitted;DNS:example.com
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_eku_only]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_no_signing]
basicConstraints = critical, CA:FALSE
keyUsage = critical, keyAgreement
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[not_a_ca]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

ec_key() { # file curve
    openssl genpkey -quiet -algorithm EC -pkeyopt "ec_paramgen_curve:$2" -pkeyopt ec_param_enc:named_curve -out "$1"
}

# issue OUT SUBJECT_CN KEY ISSUER_CERT ISSUER_KEY EXTENSIONS START END DIGEST
issue() {
    local out=$1 cn=$2 key=$3 issuer_cert=$4 issuer_key=$5 ext=$6 start=$7 end=$8 md=$9
    openssl req -new -config "$work/ca.cnf" -key "$key" -subj "/O=Airlock Test/CN=$cn" -out "$work/req.csr"
    if [ "$issuer_cert" = self ]; then
        openssl ca -batch -notext -config "$work/ca.cnf" -selfsign -keyfile "$key" \
            -in "$work/req.csr" -out "$out" -extfile "$work/ca.cnf" -extensions "$ext" \
            -startdate "$start" -enddate "$end" -md "$md" 2>/dev/null
    else
        openssl ca -batch -notext -config "$work/ca.cnf" -cert "$issuer_cert" -keyfile "$issuer_key" \
            -in "$work/req.csr" -out "$out" -extfile "$work/ca.cnf" -extensions "$ext" \
            -startdate "$start" -enddate "$end" -md "$md" "${@:10}" 2>/dev/null
    fi
}

from=20250101000000Z
until=20450101000000Z

# Trust anchor and intermediate.
ec_key root-ca-key.pem P-256
issue root-ca.pem "Airlock Test Root CA" root-ca-key.pem self self root $from $until sha256
ec_key intermediate-ca-key.pem P-384
issue intermediate-ca.pem "Airlock Test Intermediate CA" intermediate-ca-key.pem \
    root-ca.pem root-ca-key.pem intermediate $from $until sha256
cp intermediate-ca.pem chain.pem

# The good leaf: P-256, digitalSignature + codeSigning.
ec_key leaf-key.pem P-256
issue leaf.pem "Airlock Test Model Signer" leaf-key.pem \
    intermediate-ca.pem intermediate-ca-key.pem leaf 20260101000000Z 20360101000000Z sha384

# Also fine: P-384 leaf with only EKU codeSigning (no keyUsage).
ec_key leaf-eku-only-key.pem P-384
issue leaf-eku-only.pem "Airlock Test EKU-only Signer" leaf-eku-only-key.pem \
    intermediate-ca.pem intermediate-ca-key.pem leaf_eku_only 20260101000000Z 20360101000000Z sha384

# Expired long ago; still verifies, because validity is checked at the leaf's notBefore.
ec_key leaf-expired-key.pem P-256
issue leaf-expired.pem "Airlock Test Expired Signer" leaf-expired-key.pem \
    intermediate-ca.pem intermediate-ca-key.pem leaf 20250201000000Z 20250301000000Z sha384

# Rejected: neither keyUsage digitalSignature nor EKU codeSigning.
ec_key leaf-no-signing-key.pem P-256
issue leaf-no-signing.pem "Airlock Test Key-Agreement Only" leaf-no-signing-key.pem \
    intermediate-ca.pem intermediate-ca-key.pem leaf_no_signing 20260101000000Z 20360101000000Z sha384

# Rejected: issued before the intermediate became valid (the CA is checked at that time too).
ec_key leaf-predates-ca-key.pem P-256
issue leaf-predates-ca.pem "Airlock Test Too Early Signer" leaf-predates-ca-key.pem \
    intermediate-ca.pem intermediate-ca-key.pem leaf 20240101000000Z 20360101000000Z sha384

# Rejected: an RSA leaf key (OMS signs with ECDSA only).
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out leaf-rsa-key.pem
issue leaf-rsa.pem "Airlock Test RSA Signer" leaf-rsa-key.pem \
    intermediate-ca.pem intermediate-ca-key.pem leaf 20260101000000Z 20360101000000Z sha384

# Rejected: issued by a certificate that is not a CA (basicConstraints CA:FALSE).
ec_key not-a-ca-key.pem P-256
issue not-a-ca.pem "Airlock Test Not A CA" not-a-ca-key.pem \
    root-ca.pem root-ca-key.pem not_a_ca $from $until sha256
ec_key leaf-via-not-a-ca-key.pem P-256
issue leaf-via-not-a-ca.pem "Airlock Test Signer Under Non-CA" leaf-via-not-a-ca-key.pem \
    not-a-ca.pem not-a-ca-key.pem leaf 20260101000000Z 20360101000000Z sha256

# An unrelated CA that copies the intermediate's name, and a leaf it issued: the names chain
# up to root-ca.pem but the signature does not.
ec_key impostor-ca-key.pem P-384
issue impostor-ca.pem "Airlock Test Intermediate CA" impostor-ca-key.pem self self root $from $until sha384
ec_key leaf-impostor-key.pem P-256
issue leaf-impostor.pem "Airlock Test Impostor Signer" leaf-impostor-key.pem \
    impostor-ca.pem impostor-ca-key.pem leaf 20260101000000Z 20360101000000Z sha384

# An unrelated root of trust (RSA, so both signature families appear) and a leaf under it.
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-root-ca-key.pem
issue other-root-ca.pem "Airlock Test Other Root CA" other-root-ca-key.pem self self root $from $until sha256
ec_key leaf-other-root-key.pem P-256
issue leaf-other-root.pem "Airlock Test Signer Under Other Root" leaf-other-root-key.pem \
    other-root-ca.pem other-root-ca-key.pem leaf 20260101000000Z 20360101000000Z sha512

# Two CAs that certify each other (a loop) and a leaf under one of them: no path reaches a
# trusted root. `loop-a.pem` (A, issued by B) and `loop-b.pem` (B, issued by A).
ec_key loop-a-key.pem P-256
ec_key loop-b-key.pem P-256
issue "$work/b-self.pem" "Airlock Test Loop B" loop-b-key.pem self self root $from $until sha256
issue loop-a.pem "Airlock Test Loop A" loop-a-key.pem "$work/b-self.pem" loop-b-key.pem loop_ca $from $until sha256
issue loop-b.pem "Airlock Test Loop B" loop-b-key.pem loop-a.pem loop-a-key.pem loop_ca $from $until sha256
ec_key leaf-loop-key.pem P-256
issue leaf-loop.pem "Airlock Test Signer In A Loop" leaf-loop-key.pem \
    loop-a.pem loop-a-key.pem leaf 20260101000000Z 20360101000000Z sha256

# A root with critical nameConstraints (OpenSSL enforces them; this verifier does not
# implement them, so it rejects certificates on a path through this root) and a leaf under it.
ec_key name-constrained-ca-key.pem P-256
issue name-constrained-ca.pem "Airlock Test Name-Constrained Root CA" name-constrained-ca-key.pem \
    self self name_constrained $from $until sha256
ec_key leaf-name-constrained-key.pem P-256
issue leaf-name-constrained.pem "Airlock Test Signer Under Name Constraints" leaf-name-constrained-key.pem \
    name-constrained-ca.pem name-constrained-ca-key.pem leaf 20260101000000Z 20360101000000Z sha256

# RSASSA-PSS (SHA-256, MGF1-SHA-256, 32-byte salt) signature from the RSA root on a leaf.
ec_key leaf-pss-key.pem P-256
issue leaf-pss.pem "Airlock Test RSA-PSS-Signed Signer" leaf-pss-key.pem \
    other-root-ca.pem other-root-ca-key.pem leaf 20260101000000Z 20360101000000Z sha256 \
    -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sigopt rsa_mgf1_md:sha256

chmod 644 ./*.pem
echo "wrote $(ls ./*.pem | wc -l) PEM files"
