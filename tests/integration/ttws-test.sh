#!/usr/bin/env bash
# Checks the ttws CLI against the node peer (run by run-peer.sh node): output lines and exit status.
#   ttws-test.sh PATH/TO/ttws
set -euo pipefail
ttws=$1
ws="ws://127.0.0.1:$TT_IT_PORT_WS"
wss="wss://127.0.0.1:$TT_IT_PORT_WSS"
failures=0

# check NAME EXPECTED_STATUS EXPECTED_OUTPUT STDIN -- ARGS...
check() {
  local name=$1 want_status=$2 want=$3 input=$4
  shift 5
  local got status=0
  got=$(printf '%b' "$input" | timeout 20 "$ttws" --no-deflate --quiet 200 "$@" 2>&1) || status=$?
  if [ "$got" != "$want" ] || [ "$status" != "$want_status" ]; then
    echo "FAIL $name (status $status, want $want_status)"
    echo "--- want:"; printf '%s\n' "$want"
    echo "--- got:"; printf '%s\n' "$got"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

check echo 0 $'open protocol= extensions=\nmessage text 5 hello\nmessage text 8 tab\\x09and\\\\\nclose 1000 clean' \
  'hello\ntab\tand\\\n' -- --dev "$ws/echo"
check wss-ca 0 $'open protocol= extensions=\nmessage text 3 abc\nclose 1000 clean' 'abc' -- --ca "$TT_IT_CA" "$wss/echo"
check wss-domain-default 0 $'open protocol= extensions=\nclose 1000 clean' '' -- --ca "$TT_IT_CA" "$wss/echo"
check wss-domain-refused 2 'error connectSocket:fail url not in domain list' '' -- --ca "$TT_IT_CA" --domain example.com "$wss/echo"
check ws-needs-dev 2 'error connectSocket:fail url scheme must be wss' '' -- "$ws/echo"
check protocol 0 $'open protocol=chat extensions=\nclose 1000 clean' '' -- --dev --protocol chat --protocol x "$ws/protocol"
# --header: the peer answers with the x-* request headers it received, as received.
check header 0 $'open protocol= extensions=\nmessage text 49 X-Tt-One: first value | x-two: Two;  spaced value\nclose 1000 clean' \
  '' -- --dev --header 'X-Tt-One: first value' --header 'x-two: Two;  spaced value' "$ws/headers"
check header-forbidden 2 'error connectSocket:fail header not allowed' '' -- --dev --header 'Origin: http://x' "$ws/headers"
check server-close 0 $'open protocol= extensions=\nclose 4001 bye clean' '' -- --dev "$ws/close?code=4001&reason=bye"
check refused 1 $'error onSocketError: WebSocket connection failed (connect: Connection refused (127.0.0.1:1))\nclose 1006 not-clean' \
  '' -- --dev "ws://127.0.0.1:1/"
check tls-expired 1 $'error onSocketError: WebSocket connection failed (tls: certificate verify failed: certificate has expired)\nclose 1006 not-clean' \
  '' -- --ca "$TT_IT_CA" "wss://127.0.0.1:$TT_IT_PORT_EXPIRED/"
check timeout 1 $'error onSocketError: WebSocket connection timed out (connect: timed out)\nclose 1006 not-clean' \
  '' -- --dev --timeout 300 "$ws/hang"
# --stats: a profile line right after the open line (every native field known, times in order from 0) and
# a stats line at exit whose counts follow from the run: one 5-byte message each way; a data frame and a
# Close each way.
stats_check() {
  local name=$1 url=$2 got status=0
  shift 2
  got=$(printf 'hello\n' | timeout 20 "$ttws" --no-deflate --quiet 200 --stats "$@" "$url" 2>&1) || status=$?
  local n='[0-9]+'
  local profile="^profile domain_lookup_start=$n domain_lookup_end=$n connect_start=$n tcp_connect_end=$n"
  profile+=" ssl_connection_start=$n ssl_connection_end=$n connect_end=$n request_start=$n request_end=$n"
  profile+=" response_end=$n open=$n rtt=$n handshake_cost=$n cost=$n\$"
  local stats="^stats messages_sent=1 messages_received=1 bytes_sent=5 bytes_received=5 wire_bytes_sent=$n"
  stats+=" wire_bytes_received=$n frames_sent=2 frames_received=2 pings_received=0 pongs_sent=0"
  stats+=" compressed_payload_sent=0 compressed_wire_sent=0 compressed_payload_received=0"
  stats+=" compressed_wire_received=0 peak_buffered_amount=$n open_ms=$n\$"
  if [ "$status" = 0 ] && [ "$(sed -n 1p <<<"$got")" = "open protocol= extensions=" ] &&
     sed -n 2p <<<"$got" | grep -Eq "$profile" && [ "$(sed -n 3p <<<"$got")" = "message text 5 hello" ] &&
     [ "$(sed -n 4p <<<"$got")" = "close 1000 clean" ] && sed -n 5p <<<"$got" | grep -Eq "$stats" &&
     [ "$(wc -l <<<"$got")" = 5 ]; then
    echo "ok   $name"
  else
    echo "FAIL $name (status $status)"; printf '%s\n' "$got"
    failures=$((failures + 1))
  fi
}
stats_check stats-ws "$ws/echo" --dev
stats_check stats-wss "$wss/echo" --ca "$TT_IT_CA"

status=0
"$ttws" --bogus-option-xyz >/dev/null 2>&1 || status=$?
if [ "$status" = 2 ]; then echo "ok   usage"; else echo "FAIL usage (status $status)"; failures=$((failures + 1)); fi

[ "$failures" = 0 ]
