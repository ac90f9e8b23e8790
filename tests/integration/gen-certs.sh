#!/usr/bin/env bash
# Generates the TLS fixtures of the integration tests into DIR with the openssl CLI:
#   ca.pem                 the test CA (the drivers trust it through tt_runtime_config.ca_file)
#   server.{pem,key}       signed by the test CA for 127.0.0.1, ::1 and localhost
#   expired.{pem,key}      signed by the test CA for the same names, valid only in January 2020
#   wronghost.{pem,key}    signed by the test CA for wrong.example only
#   unknownca.{pem,key}    for 127.0.0.1 and localhost, signed by a CA nobody trusts (other-ca.pem)
#   notyet.{pem,key}       signed by the test CA for the same names, valid only from 2099
#   selfsigned.{pem,key}   self-signed, for 127.0.0.1, ::1 and localhost (trusted only as its own ca_file)
#   clientonly.{pem,key}   signed by the test CA, extendedKeyUsage=clientAuth only
#   badku.{pem,key}        signed by the test CA, keyUsage=keyCertSign only (no digitalSignature etc.)
#   cnonly.{pem,key}       signed by the test CA, subject CN=localhost and no subjectAltName at all
# Usage: gen-certs.sh DIR
set -euo pipefail
dir=$1
cd "$dir"
quiet() { "$@" >/dev/null 2>&1 || { echo "gen-certs: failed: $*" >&2; "$@"; exit 1; }; }

newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
ca_ext=(-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign")
quiet openssl req -x509 "${newkey[@]}" -keyout ca.key -out ca.pem -days 30 -subj "/CN=ttsocket test CA" "${ca_ext[@]}"
quiet openssl req -x509 "${newkey[@]}" -keyout other-ca.key -out other-ca.pem -days 30 -subj "/CN=untrusted CA" "${ca_ext[@]}"

leaf() { # name subjectAltName CA [keyUsage] [extendedKeyUsage]
  printf 'basicConstraints=CA:FALSE\nkeyUsage=%s\nextendedKeyUsage=%s\nsubjectAltName=%s\n' \
    "${4:-digitalSignature}" "${5:-serverAuth}" "$2" > "$1.ext"
  quiet openssl req "${newkey[@]}" -keyout "$1.key" -out "$1.csr" -subj "/CN=$1"
  quiet openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 30 -out "$1.pem" -extfile "$1.ext"
}
leaf server "IP:127.0.0.1,IP:::1,DNS:localhost" ca
leaf wronghost "DNS:wrong.example" ca
leaf unknownca "IP:127.0.0.1,IP:::1,DNS:localhost" other-ca
leaf clientonly "IP:127.0.0.1,IP:::1,DNS:localhost" ca digitalSignature clientAuth
leaf badku "IP:127.0.0.1,IP:::1,DNS:localhost" ca keyCertSign serverAuth
# Only the subject names the host: Chromium (and RFC 6125 clients) look at subjectAltName alone.
printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' > cnonly.ext
quiet openssl req "${newkey[@]}" -keyout cnonly.key -out cnonly.csr -subj "/CN=localhost"
quiet openssl x509 -req -in cnonly.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out cnonly.pem -extfile cnonly.ext
quiet openssl req -x509 "${newkey[@]}" -keyout selfsigned.key -out selfsigned.pem -days 30 -subj "/CN=selfsigned" \
  -addext "basicConstraints=critical,CA:FALSE" -addext "keyUsage=digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" -addext "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"

# An expired certificate needs explicit dates, which only `openssl ca` takes in OpenSSL 3.0.
: > index.txt
echo 1000 > serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = test
[ test ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = anything
unique_subject = no
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost
CNF
quiet openssl req "${newkey[@]}" -keyout expired.key -out expired.csr -subj "/CN=expired"
quiet openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
  -startdate 20200101000000Z -enddate 20200102000000Z -extensions leaf -notext
quiet openssl req "${newkey[@]}" -keyout notyet.key -out notyet.csr -subj "/CN=notyet"
quiet openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key -in notyet.csr -out notyet.pem \
  -startdate 20990101000000Z -enddate 21000101000000Z -extensions leaf -notext
