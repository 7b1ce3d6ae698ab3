#!/usr/bin/env bash
# Stops a Ceph started by ceph-up.sh DIR and wipes DIR.
#
# Usage: ceph-down.sh DIR [PID...]
#   Kills (SIGTERM) the daemons named by the pid files in DIR/run and any extra PIDs given (the
#   Node API passes the pids it recorded at start, in case the pid files are gone), waits up to
#   5 s for them to exit, SIGKILLs the stragglers, then deletes DIR. Only processes that are still
#   ceph-mon, ceph-osd or radosgw are signalled: a pid file can outlive its process and the pid be
#   reused. Exits 0 when nothing of that Ceph is left running, 1 otherwise.
set -euo pipefail

if [ $# -lt 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR [PID...]" >&2
  exit 2
fi
D=$1
shift

# A zombie (state Z) has already exited: it only waits for its parent to reap it.
is_ceph_daemon() {
  local comm stat state
  comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  state=${stat##*) }
  state=${state%% *}
  [[ $state != Z ]] && [[ $comm == ceph-mon || $comm == ceph-osd || $comm == radosgw ]]
}

pids=()
for pid in "$@"; do
  [[ $pid =~ ^[0-9]+$ ]] && pids+=("$pid")
done
if [ -d "$D/run" ]; then
  for pid_file in "$D"/run/*.pid; do
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] && pids+=("$pid")
  done
fi

any_alive() {
  local pid
  for pid in "${pids[@]}"; do is_ceph_daemon "$pid" && return 0; done
  return 1
}

if [ ${#pids[@]} -gt 0 ]; then
  for pid in "${pids[@]}"; do
    if is_ceph_daemon "$pid"; then kill "$pid" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 50); do
    any_alive || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    if is_ceph_daemon "$pid"; then
      echo "ceph-down: pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo '?')) ignored SIGTERM for 5 s; sending SIGKILL" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  for _ in $(seq 1 20); do
    any_alive || break
    sleep 0.1
  done
fi

if any_alive; then
  echo "ceph-down: some daemons of $D are still running; not wiping it" >&2
  exit 1
fi

# Only wipe what ceph-up.sh made: a typo in DIR must never delete someone's files.
if [ -d "$D" ]; then
  if [ -f "$D/ceph.conf" ] || [ -z "$(ls -A "$D")" ]; then
    rm -rf "$D"
  else
    echo "ceph-down: not wiping $D: it holds no ceph.conf from ceph-up.sh" >&2
  fi
fi
