#!/usr/bin/env bash
# Starts a throwaway single-node Ceph with an S3 gateway, for tests and local development:
# 1 monitor, 1 in-memory OSD (memstore: nothing survives a restart), no manager, no cephx auth,
# and radosgw serving S3 on http://127.0.0.1:$RGW_PORT with one user whose keys are
# $RGW_ACCESS_KEY / $RGW_SECRET_KEY.
#
# Usage: ceph-up.sh DIR
#   DIR      where config, data, logs and pid files go. Created if missing; if it holds a previous
#            run (a ceph.conf) it is wiped first. Any other non-empty directory is refused.
# Environment:
#   RGW_PORT       S3 port (default 7480)
#   MON_PORT       monitor port (default 6789)
#   RGW_ACCESS_KEY S3 access key (default baton-test-key)
#   RGW_SECRET_KEY S3 secret key (default baton-secret)
#   CEPH_UP_TIMEOUT_SECONDS  give up on any single wait after this long (default 60)
# Stop it with ceph-down.sh DIR (kills by the pid files in DIR/run). Needs the Debian/Ubuntu
# packages radosgw, ceph-mon and ceph-osd; nothing else (no curl, no bc).
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
D=$1
RGW_PORT=${RGW_PORT:-7480}
MON_PORT=${MON_PORT:-6789}
RGW_ACCESS_KEY=${RGW_ACCESS_KEY:-baton-test-key}
RGW_SECRET_KEY=${RGW_SECRET_KEY:-baton-secret}
TIMEOUT_SECONDS=${CEPH_UP_TIMEOUT_SECONDS:-60}

# Failing early with the fix beats a cryptic "command not found" in the middle of a half-started cluster.
for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool timeout; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "ceph-up: '$tool' is not installed. Install Ceph with: apt-get install radosgw ceph-mon ceph-osd" >&2
    exit 3
  fi
done
for port in "$RGW_PORT" "$MON_PORT"; do
  if ! [[ $port =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    echo "ceph-up: invalid port '$port' (RGW_PORT=$RGW_PORT MON_PORT=$MON_PORT)" >&2
    exit 2
  fi
done

now_ms() { echo $(($(date +%s%N) / 1000000)); }
T0=$(now_ms)
elapsed() { local ms=$(($(now_ms) - T0)); printf '%d.%03ds' $((ms / 1000)) $((ms % 1000)); }

# Wiping is the first thing done, so refuse anything that is not ours: a typo in DIR must never
# delete someone's files.
if [ -e "$D" ] && [ ! -d "$D" ]; then
  echo "ceph-up: $D exists and is not a directory" >&2
  exit 2
fi
if [ -d "$D" ] && [ -n "$(ls -A "$D")" ] && [ ! -f "$D/ceph.conf" ]; then
  echo "ceph-up: refusing to wipe $D: it is not empty and holds no ceph.conf from an earlier ceph-up.sh run" >&2
  exit 2
fi
# A pid is only ours if it still runs a Ceph daemon: pids are reused after a crash or reboot.
# A zombie (state Z) has already exited: it only waits for its parent to reap it.
is_ceph_daemon() {
  local comm stat state
  comm=$(cat "/proc/$1/comm" 2>/dev/null) || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  state=${stat##*) }
  state=${state%% *}
  [[ $state != Z ]] && [[ $comm == ceph-mon || $comm == ceph-osd || $comm == radosgw ]]
}
if [ -d "$D/run" ] && compgen -G "$D/run/*.pid" >/dev/null; then
  for pid_file in "$D"/run/*.pid; do
    pid=$(cat "$pid_file" 2>/dev/null || true)
    if [ -n "$pid" ] && is_ceph_daemon "$pid"; then
      echo "ceph-up: $D is in use by a running daemon (pid $pid from $pid_file); stop it first: ceph-down.sh $D" >&2
      exit 2
    fi
  done
fi
rm -rf "$D"
mkdir -p "$D"/{mon.a,osd.0,log,run,rgw}
D=$(cd "$D" && pwd)

# On any failure: say which step failed, show the end of its log, and stop whatever was started so
# no daemon outlives a failed start. The directory is kept so the full logs can be read.
STEP="preparing $D"
STEP_LOG=""
on_error() {
  local status=$?
  trap - ERR
  echo "ceph-up: FAILED after $(elapsed) while $STEP (exit $status)" >&2
  if [ -n "$STEP_LOG" ] && [ -f "$STEP_LOG" ]; then
    echo "---- last 40 lines of $STEP_LOG ----" >&2
    tail -n 40 "$STEP_LOG" >&2 || true
    echo "---- end of $STEP_LOG ----" >&2
  fi
  echo "ceph-up: stopping the daemons started so far; logs are kept in $D/log" >&2
  stop_started_daemons
  exit "$status"
}
stop_started_daemons() {
  local pids="" pid_file pid i alive
  for pid_file in "$D"/run/*.pid; do
    [ -f "$pid_file" ] || continue
    pid=$(cat "$pid_file" 2>/dev/null || true)
    [ -n "$pid" ] && pids="$pids $pid"
  done
  for pid in $pids; do is_ceph_daemon "$pid" && kill "$pid" 2>/dev/null || true; done
  for i in $(seq 1 50); do
    alive=0
    for pid in $pids; do is_ceph_daemon "$pid" && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for pid in $pids; do is_ceph_daemon "$pid" && kill -9 "$pid" 2>/dev/null || true; done
}
trap on_error ERR

# Polls "$@" every 0.1 s until it succeeds or TIMEOUT_SECONDS pass.
wait_until() {
  local deadline=$(($(now_ms) + TIMEOUT_SECONDS * 1000))
  until "$@"; do
    if [ "$(now_ms)" -ge "$deadline" ]; then
      echo "ceph-up: gave up after ${TIMEOUT_SECONDS}s waiting for: $*" >&2
      return 1
    fi
    sleep 0.1
  done
}

# A daemon forks before it writes its pid file. Waiting for the file means that a failure in any
# later step finds every started daemon in DIR/run and can stop it.
has_pid_file() { [ -s "$D/run/$1.pid" ]; }

FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
mon data = $D/mon.\$id
osd data = $D/osd.\$id
osd objectstore = memstore
memstore device bytes = 1073741824
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
# The OSD's own start-up crush/class mon commands race with auth=none ("wrong fsid"): done by hand below.
osd crush update on start = false
osd class update on start = false
mon allow pool size one = true
paxos propose interval = 0.05
paxos min wait = 0.01
mon osd report timeout = 900
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd max pg per osd hard ratio = 10
mon pg warn min per osd = 0
mon osd nearfull ratio = .97
mon osd backfillfull ratio = .98
mon osd full ratio = .99
mon data avail warn = 1
mon data avail crit = 0
mon warn on insecure global id reclaim allowed = false
osd failsafe full ratio = .995
debug ms = 0
[client.rgw.a]
# tcp_nodelay: without it a GET reply waits ~40 ms on the client's delayed ACK (Nagle on small packets).
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw data = $D/rgw
rgw enable usage log = false
rgw dns name = 127.0.0.1
CONF
CONF_ARGS=(-c "$D/ceph.conf")
# Every CLI call is bounded: a monitor that never answers must fail the start, not hang it.
# --foreground keeps the call in our process group, so that killing the group (an abort) ends it too.
ceph_cli() { timeout --foreground 30 ceph "${CONF_ARGS[@]}" --connect-timeout 20 "$@"; }

STEP="creating the monitor"
STEP_LOG="$D/log/mon.a.log"
ceph-authtool --create-keyring "$D/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v1:127.0.0.1:$MON_PORT]" "$D/monmap" >/dev/null
ceph-mon "${CONF_ARGS[@]}" --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.keyring" 2>>"$D/log/mon-mkfs.log"
STEP="starting the monitor on 127.0.0.1:$MON_PORT"
ceph-mon "${CONF_ARGS[@]}" -i a
wait_until has_pid_file mon.a
T_MON=$(elapsed)

STEP="registering the OSD"
STEP_LOG="$D/log/cli.log"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
# Retried: a command sent while the new monitor is still settling can be refused ("handle_command
# on fsid 00000000-… != <fsid>" in the monitor's log). Both commands are idempotent.
ceph_cli_logged() { ceph_cli "$@" >>"$D/log/cli.log" 2>&1; }
wait_until ceph_cli_logged osd new "$OSD_UUID"
wait_until ceph_cli_logged osd crush add osd.0 1.0 host=localhost root=default
STEP="creating the OSD"
STEP_LOG="$D/log/osd-mkfs.log"
ceph-osd "${CONF_ARGS[@]}" -i 0 --mkfs --osd-uuid "$OSD_UUID" 2>>"$D/log/osd-mkfs.log"
STEP="starting the OSD"
STEP_LOG="$D/log/osd.0.log"
ceph-osd "${CONF_ARGS[@]}" -i 0
wait_until has_pid_file osd.0
# Captured, not piped into grep -q: under pipefail an early grep exit can SIGPIPE the CLI and
# turn a match into a failure.
osd_is_up() {
  local status
  status=$(ceph_cli osd stat 2>/dev/null) || return 1
  [[ $status == *"1 up"* ]]
}
STEP="waiting for the OSD to be up"
wait_until osd_is_up
T_OSD=$(elapsed)

STEP="starting radosgw on 127.0.0.1:$RGW_PORT"
STEP_LOG="$D/log/client.rgw.a.log"
radosgw "${CONF_ARGS[@]}" -n client.rgw.a
wait_until has_pid_file client.rgw.a
# Any HTTP status line means the S3 frontend is serving (anonymous GET / answers 200 or 403).
# bash's /dev/tcp instead of curl: one fewer thing to install.
rgw_answers_http() {
  timeout --foreground 2 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" >&3
    IFS= read -r status_line <&3 || exit 1
    [[ $status_line == HTTP/* ]]
  ' rgw-check "$RGW_PORT" 2>/dev/null
}
STEP="waiting for radosgw to answer HTTP on 127.0.0.1:$RGW_PORT"
wait_until rgw_answers_http
T_RGW=$(elapsed)

STEP="creating the S3 user"
STEP_LOG="$D/log/admin.log"
timeout --foreground 60 radosgw-admin "${CONF_ARGS[@]}" user create --uid=baton --display-name=baton \
  --access-key="$RGW_ACCESS_KEY" --secret="$RGW_SECRET_KEY" >/dev/null 2>>"$D/log/admin.log"
trap - ERR

echo "ceph-up: S3 on http://127.0.0.1:$RGW_PORT (mon $T_MON, osd up $T_OSD, rgw answering $T_RGW, user ready $(elapsed))"
