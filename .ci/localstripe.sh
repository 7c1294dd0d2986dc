#!/usr/bin/env bash
# Installs and starts localstripe (a stateful Stripe fake from PyPI) on 127.0.0.1:8420 for the
# billing tests; they skip with a message when it is not reachable. Safe to run twice.
set -euo pipefail
port="${LOCALSTRIPE_PORT:-8420}"
ready() { curl -fsS -u sk_test_ci: "http://127.0.0.1:${port}/v1/customers" >/dev/null 2>&1; }
if ready; then
  echo "localstripe already answers on ${port}"
  exit 0
fi
python3 -m localstripe --help >/dev/null 2>&1 || python3 -m pip install --quiet localstripe
nohup python3 -m localstripe --port "${port}" --from-scratch >"${TMPDIR:-/tmp}/localstripe.log" 2>&1 &
for _ in $(seq 1 50); do
  if ready; then
    echo "localstripe started on ${port}"
    exit 0
  fi
  sleep 0.2
done
echo "localstripe did not start; see ${TMPDIR:-/tmp}/localstripe.log" >&2
exit 1
