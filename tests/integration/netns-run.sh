#!/usr/bin/env bash
# Runs COMMAND in a new network namespace (unshare -n; it is gone when COMMAND ends) with only the
# loopback up, so a test may take any port on 127.0.0.1 and ::1 and fill listeners' queues without
# disturbing anything else on the machine. Needs root (CI runs as root); fails loudly otherwise.
#   netns-run.sh COMMAND [ARGS...]
set -euo pipefail
if ! unshare -n true 2>/dev/null; then
  echo "netns-run: cannot create a network namespace (unshare -n needs root / CAP_SYS_ADMIN)" >&2
  exit 1
fi
exec unshare -n -- bash -euo pipefail -c 'ip link set lo up; exec "$@"' netns-run "$@"
