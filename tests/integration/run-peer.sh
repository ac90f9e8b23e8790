#!/usr/bin/env bash
# Runs one integration driver against a freshly started test peer.
#
#   run-peer.sh node|python|none|SCRIPT.mjs COMMAND [ARGS...]
#
# SCRIPT.mjs: any node script that prints the same LISTEN/READY lines (e.g. tests/hardening/fault_server.mjs).
# Generates the TLS fixtures into a temporary directory, starts the peer (peer_node.mjs or
# peer_python.py), waits for its "LISTEN <name> <port>" lines and "READY", exports TT_IT_PEER,
# TT_IT_CA (the test CA), TT_IT_CERTS and TT_IT_PORT_<NAME> for each listener, runs COMMAND and returns
# its status. The peer is stopped on every exit path: it is killed by the trap, and it also exits by
# itself when the pipe on its stdin (held by this script) closes, so even a SIGKILLed wrapper leaves
# no server behind.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
peer=$1
shift

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ttsocket-it.XXXXXX")"
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/gen-certs.sh" "$tmp"
export TT_IT_PEER="$peer" TT_IT_CA="$tmp/ca.pem" TT_IT_CERTS="$tmp"

if [ "$peer" != none ]; then
  mkfifo "$tmp/out" "$tmp/keepalive"
  case "$peer" in
    node) NODE_PATH="$here/../node_modules" node "$here/peer_node.mjs" "$tmp" \
            <"$tmp/keepalive" >"$tmp/out" 2>"$tmp/server.log" & ;;
    python) /usr/bin/python3 "$here/peer_python.py" "$tmp" \
            <"$tmp/keepalive" >"$tmp/out" 2>"$tmp/server.log" & ;;
    *.mjs) NODE_PATH="$here/../node_modules" node "$peer" "$tmp" \
            <"$tmp/keepalive" >"$tmp/out" 2>"$tmp/server.log" & ;;
    *) echo "run-peer: unknown peer $peer" >&2; exit 2 ;;
  esac
  server_pid=$!
  exec 5>"$tmp/keepalive" 3<"$tmp/out"
  ready=0
  # Each read waits for the next line the server prints (or gives up after 20 s).
  while IFS= read -r -t 20 -u 3 line; do
    case "$line" in
      LISTEN\ *)
        read -r _ name port <<<"$line"
        export "TT_IT_PORT_$(echo "$name" | tr '[:lower:]' '[:upper:]')=$port" ;;
      READY) ready=1; break ;;
    esac
  done
  if [ "$ready" != 1 ]; then
    echo "run-peer: the $peer peer did not start:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
fi

status=0
"$@" 5>&- 3<&- || status=$?
if [ "$status" != 0 ] && [ -s "$tmp/server.log" ]; then
  echo "---- $peer peer log ----" >&2
  cat "$tmp/server.log" >&2
fi
exit "$status"
