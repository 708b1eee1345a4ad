# shellcheck shell=bash
# scripts/tsdb.sh -- source this from bash, then call `tsdb_up`.
#
# Installs (only if missing) and starts, for the test suite:
#   * InfluxDB 1.6       (Debian package `influxdb`)          -> $INFLUX1_URL  (v1 /write, InfluxQL /query)
#   * VictoriaMetrics    (Debian package `victoria-metrics`)  -> $VM_URL       (/write, /api/v2/write, /api/v1/export)
# on free 127.0.0.1 ports, with all data in a throw-away temp dir ($TSDB_DIR), waits until both
# answer, and stops them and deletes the temp dir when the calling shell exits (also on failure,
# Ctrl-C or SIGTERM). It never uses /etc/influxdb, /var/lib/*, nor the default ports
# 8086/8088/8428, so a system instance is never touched.
#
#   source scripts/tsdb.sh && tsdb_up     # then run the tests; INFLUX1_URL / VM_URL are exported
#
# Notes:
#   * tsdb_up installs `trap tsdb_stop EXIT` plus INT/TERM/HUP traps that exit (so the EXIT trap
#     runs), replacing the caller's traps. A caller with its own EXIT trap must call tsdb_stop.
#   * Needs bash, curl, a python3 to pick free ports ($TSDB_PYTHON, default python3), and root
#     (or sudo) for apt-get when a package is missing. See shared/docs/test-servers.md.

# Ports the servers must never use: the system defaults (influxd http/rpc, VictoriaMetrics).
TSDB_RESERVED_PORTS=" 8086 8088 8089 8428 "

# Prints N distinct free loopback ports (all bound at once, then released).
tsdb_free_ports() {
  "${TSDB_PYTHON:-python3}" -c 'import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

# tsdb_apt_install PKG... -- apt-get install the packages, quietly, without letting their
# postinst start system services (a temporary policy-rc.d denies it when the machine has none).
tsdb_apt_install() {
  local sudo="" made_policy=0 rc=0 log
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "tsdb: need root (or sudo) to apt-get install $*" >&2
      return 1
    }
    sudo="sudo"
  fi
  local saved_traps
  saved_traps=$(trap -p INT TERM)
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    # shellcheck disable=SC2064 # expand $sudo now
    trap "$sudo rm -f /usr/sbin/policy-rc.d; exit 130" INT TERM
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  log=$(mktemp -t tsdb-apt.XXXXXX)
  echo "tsdb: apt-get install $* ..." >&2
  {
    if [ -z "${TSDB_APT_UPDATED:-}" ]; then $sudo apt-get update -q && TSDB_APT_UPDATED=1; fi &&
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
  } >"$log" 2>&1 || rc=$?
  if [ $made_policy -eq 1 ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
  trap - INT TERM
  eval "$saved_traps"
  if [ $rc -ne 0 ]; then
    echo "tsdb: apt-get install $* failed (exit $rc); output follows:" >&2
    cat "$log" >&2
  fi
  rm -f "$log"
  return $rc
}

# Installs the server packages that are missing; does nothing at all when both binaries exist.
tsdb_install() {
  local need=()
  command -v influxd >/dev/null 2>&1 || need+=(influxdb)
  command -v victoria-metrics >/dev/null 2>&1 || need+=(victoria-metrics)
  [ ${#need[@]} -eq 0 ] && return 0
  tsdb_apt_install "${need[@]}" || return 1
  if ! command -v influxd >/dev/null 2>&1 || ! command -v victoria-metrics >/dev/null 2>&1; then
    echo "tsdb: influxd or victoria-metrics still missing after apt-get install" >&2
    return 1
  fi
}

# tsdb_wait URL NAME LOGFILE PID -- polls URL until HTTP 2xx (30 s max).
# Returns 0 when ready, 2 when the process died (e.g. lost a port race), 1 on timeout.
tsdb_wait() {
  local i
  for ((i = 0; i < 600; i++)); do
    if curl -sf --max-time 2 -o /dev/null "$1"; then
      kill -0 "$4" 2>/dev/null && return 0 # answered, and it is our process that is alive
      break
    fi
    kill -0 "$4" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$4" 2>/dev/null; then
    echo "tsdb: $2 did not become ready at $1 within 30 s; log follows:" >&2
    cat "$3" >&2
    return 1
  fi
  echo "tsdb: $2 exited during startup; log follows:" >&2
  cat "$3" >&2
  return 2
}

# Stops our two servers (by PID only) without deleting the data dir.
tsdb_kill_servers() {
  local pid i
  for pid in ${TSDB_INFLUX1_PID:-} ${TSDB_VM_PID:-}; do
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  TSDB_INFLUX1_PID="" TSDB_VM_PID=""
}

# Stops both servers and deletes the temp dir. Idempotent; installed as the EXIT trap.
tsdb_stop() {
  tsdb_kill_servers
  if [ -n "${TSDB_DIR:-}" ]; then rm -rf "$TSDB_DIR"; fi
  TSDB_DIR=""
}

# _tsdb_start HTTP RPC VM -- one attempt at starting both servers on the given ports.
_tsdb_start() {
  local http=$1 rpc=$2 vm=$3 d="$TSDB_DIR" rc
  rm -rf "$d/influx" "$d/vm"
  mkdir -p "$d/influx"
  # InfluxDB 1.6: own config; BOTH bind addresses (the top-level one is the backup/restore RPC
  # port, default 127.0.0.1:8088; [http] defaults to :8086 on all interfaces).
  cat >"$d/influx/influxdb.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$d/influx/meta"
[data]
  dir = "$d/influx/data"
  wal-dir = "$d/influx/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$http"
  log-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
EOF
  influxd run -config "$d/influx/influxdb.conf" </dev/null >"$d/influxd.log" 2>&1 &
  TSDB_INFLUX1_PID=$!
  # VictoriaMetrics: 100y retention (the default 1 month silently drops older points), no
  # response cache and no 30 s latency offset, so tests see their writes after a force_flush.
  victoria-metrics -httpListenAddr="127.0.0.1:$vm" -storageDataPath="$d/vm" \
    -retentionPeriod=100y -search.disableCache -search.latencyOffset=0s -loggerLevel=WARN \
    </dev/null >"$d/vm.log" 2>&1 &
  TSDB_VM_PID=$!
  tsdb_wait "http://127.0.0.1:$http/ping" influxd "$d/influxd.log" "$TSDB_INFLUX1_PID" || return $?
  tsdb_wait "http://127.0.0.1:$vm/health" victoria-metrics "$d/vm.log" "$TSDB_VM_PID" || return $?
}

tsdb_up() {
  tsdb_install || return 1
  TSDB_DIR=$(mktemp -d -t linkyflux-tsdb.XXXXXX) || return 1
  trap tsdb_stop EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  local attempt http rpc vm rc=1
  for attempt in 1 2 3; do
    http="" rpc="" vm=""
    read -r http rpc vm < <(tsdb_free_ports 3) || true
    if [ -z "$vm" ]; then
      echo "tsdb: could not pick free ports with ${TSDB_PYTHON:-python3}" >&2
      return 1
    fi
    case "$TSDB_RESERVED_PORTS" in
    *" $http "* | *" $rpc "* | *" $vm "*) continue ;;
    esac
    rc=0
    _tsdb_start "$http" "$rpc" "$vm" || rc=$?
    [ $rc -eq 0 ] && break
    tsdb_kill_servers
    [ $rc -eq 2 ] || return 1 # only a server that died at startup (port race) is retried
    echo "tsdb: retrying with other ports (attempt $attempt failed)" >&2
  done
  [ $rc -eq 0 ] || return 1
  export INFLUX1_URL="http://127.0.0.1:$http" VM_URL="http://127.0.0.1:$vm"
  echo "tsdb: influxd at $INFLUX1_URL, victoria-metrics at $VM_URL (data in $TSDB_DIR)"
}
