#!/usr/bin/env bash
# The credential authority's tool at scale, with the release build of psephos-cli: generate
# credentials and print letters for VOTERS voters (default 100000), then e-mail MAIL_VOTERS of
# them (default 2000, no rate limit) through a local SMTP server on 127.0.0.1 — Python's smtpd
# sink (python3.11's standard library; a server that accepts and discards every message), over
# plaintext. Prints wall-clock time, peak memory and the PDF's size; BENCHMARKS.md quotes them.
#
#   scripts/bench-credentials.sh
#   VOTERS=10000 MAIL_VOTERS=500 scripts/bench-credentials.sh
set -euo pipefail
cd "$(dirname "$0")/.."
voters="${VOTERS:-100000}"
mail_voters="${MAIL_VOTERS:-2000}"
"${CARGO:-cargo}" build --release --locked -p psephos-cli --bin psephos >&2
bin="$PWD/target/release/psephos"
election="$PWD/election-config/municipal-2026.toml"
python="${PYTHON:-/usr/bin/python3.11}"
work="$(mktemp -d)"
trap 'kill "${smtp_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

measure() { # label, command…: wall time and peak resident memory from GNU time
  local label="$1"; shift
  /usr/bin/time -f "$label: %e s wall, %M KiB peak RSS" "$@" >/dev/null
}

styles=(north river south)
{
  echo "voter_id,name,email,style"
  for ((k = 1; k <= voters; k++)); do
    echo "v-$k,Voter Number $k,voter-$k@example.org,${styles[k % 3]}"
  done
} > voters.csv
measure "generate $voters" "$bin" credentials generate --election "$election" --voters voters.csv
measure "letters $voters" "$bin" credentials letters --election "$election" \
  --url https://vote.example.org/e/rivertown/ --out letters.secret.pdf
echo "letters.secret.pdf: $(stat -c %s letters.secret.pdf) bytes"

# The mail run uses the first MAIL_VOTERS rows of the private file.
head -n $((mail_voters + 1)) credentials.secret.csv > mail.secret.csv
port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$python" -W ignore -c "
import smtpd, asyncore
class Sink(smtpd.SMTPServer):
    def process_message(self, *a, **k): return None
Sink(('127.0.0.1', $port), None, decode_data=False)
asyncore.loop()
" &
smtp_pid=$!
for _ in $(seq 100); do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
measure "mail $mail_voters" "$bin" credentials mail --election "$election" --codes mail.secret.csv \
  --url https://vote.example.org/e/rivertown/ --smtp "smtp://127.0.0.1:$port" --insecure-plaintext \
  --from 'Credential Authority <ca@example.org>' --rate 0 --log delivery.log
echo "delivery.log: $(grep -c '"event":"sent"' delivery.log) sent"
