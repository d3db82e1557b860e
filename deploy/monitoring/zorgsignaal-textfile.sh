#!/usr/bin/env bash
# Writes the store's sync and outbox state as Prometheus metrics for node_exporter's textfile
# collector (docs/OPERATIONS.md, "Monitoring"). The daemon's /metrics counts what the process did
# since it started; this adds what the database knows: last successful sync per stream, failures
# in a row, quarantined records, outbox rows by state.
#
#   zorgsignaal-textfile.sh CONFIG.toml OUTPUT.prom
#
# Run it as the service user (zorgsignaal-textfile.timer does), never as root: a root process
# opening the SQLite database could leave root-owned -wal/-shm files the service cannot open.
# Needs jq. Writes OUTPUT.prom atomically; on failure the old file stays and its age
# (node_textfile_mtime_seconds) shows it is stale.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: zorgsignaal-textfile.sh CONFIG.toml OUTPUT.prom" >&2; exit 2; }
config=$1
out=$2
bin=${ZORGSIGNAAL_BIN:-/usr/local/bin/zorgsignaal}

status=$("$bin" --config "$config" --log-format json status --json)
outbox=$("$bin" --config "$config" --log-format json outbox --json)

tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
    echo "# HELP zorgsignaal_sync_last_success_timestamp_seconds End of the last complete sync run per stream (Unix time)."
    echo "# TYPE zorgsignaal_sync_last_success_timestamp_seconds gauge"
    jq -r '.streams[] | select(.last_success_at != null)
        | "zorgsignaal_sync_last_success_timestamp_seconds{source=\"\(.source)\",school=\"\(.school)\",stream=\"\(.stream)\"} \(.last_success_at | sub("\\.[0-9]+"; "") | sub("\\+00:00$"; "Z") | fromdateiso8601)"' <<<"$status"
    echo "# HELP zorgsignaal_sync_consecutive_failures Failed sync runs since the last complete one, per stream."
    echo "# TYPE zorgsignaal_sync_consecutive_failures gauge"
    jq -r '.streams[]
        | "zorgsignaal_sync_consecutive_failures{source=\"\(.source)\",school=\"\(.school)\",stream=\"\(.stream)\"} \(.consecutive_failures)"' <<<"$status"
    echo "# HELP zorgsignaal_sync_quarantined_records Records quarantined over the stream's lifetime."
    echo "# TYPE zorgsignaal_sync_quarantined_records gauge"
    jq -r '.streams[]
        | "zorgsignaal_sync_quarantined_records{source=\"\(.source)\",school=\"\(.school)\",stream=\"\(.stream)\"} \(.quarantined)"' <<<"$status"
    echo "# HELP zorgsignaal_results_with_unmapped_test Live results whose test no domain mapping knows."
    echo "# TYPE zorgsignaal_results_with_unmapped_test gauge"
    jq -r '"zorgsignaal_results_with_unmapped_test \(.results_with_unmapped_test)"' <<<"$status"
    echo "# HELP zorgsignaal_outbox_rows Outbox rows (tasks to push back) by state."
    echo "# TYPE zorgsignaal_outbox_rows gauge"
    jq -r '(["pending","in_flight","sent","parked"] | map({(.): 0}) | add) as $zero
        | reduce .[] as $r ($zero; .[$r.status] += 1)
        | to_entries[] | "zorgsignaal_outbox_rows{status=\"\(.key)\"} \(.value)"' <<<"$outbox"
} >"$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$out"
trap - EXIT
