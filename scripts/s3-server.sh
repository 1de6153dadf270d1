#!/usr/bin/env bash
# A throwaway, single-node Ceph cluster with the RADOS Gateway: a real S3 server for tests.
#
#   scripts/s3-server.sh start   install Ceph if missing (Debian 12, root), boot it, print the env
#   scripts/s3-server.sh env     print S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET
#   scripts/s3-server.sh stop    kill the daemons this script started and remove the cluster dir
#   scripts/s3-server.sh status  exit 0 if the gateway answers
#
# One monitor + one memstore OSD + radosgw on 127.0.0.1, `auth none`, pool size 1; everything
# (config, data, logs, pid files, sockets) lives under $PP_CEPH_DIR, so several clusters can run
# side by side when each gets its own dir. Progress goes to stderr; `start` and `env` print
# KEY=VALUE lines on stdout. See docs/s3-test-server.md.
#
# Environment (all optional):
#   PP_CEPH_DIR        cluster dir                       (/tmp/pp-ceph)
#   PP_S3_PORT         gateway port, 0 = pick a free one  (7480 if free, else a free one)
#   PP_CEPH_MON_PORT   monitor port, 0 = pick a free one  (0)
#   PP_S3_BUCKET       bucket created at start           (pp-test)
#   PP_S3_ACCESS_KEY / PP_S3_SECRET_KEY                  (fixed test keys)
#   PP_CEPH_TIMEOUT    seconds to wait for each stage     (90)
#   PP_CEPH_MEM_BYTES  memstore size                      (2147483648)
set -euo pipefail

DIR="${PP_CEPH_DIR:-/tmp/pp-ceph}"
BUCKET="${PP_S3_BUCKET:-pp-test}"
ACCESS_KEY="${PP_S3_ACCESS_KEY:-PPTESTACCESSKEY00001}"
SECRET_KEY="${PP_S3_SECRET_KEY:-pp-test-secret-key-not-for-production-0001}"
TIMEOUT="${PP_CEPH_TIMEOUT:-90}"
MEM_BYTES="${PP_CEPH_MEM_BYTES:-2147483648}"
CONF="$DIR/ceph.conf"
PACKAGES=(radosgw ceph-mon ceph-osd ceph-common curl)

log() { echo "[s3-server] $*" >&2; }

die() {
  log "ERROR: $*"
  dump_logs
  # A failed start leaves no daemons behind; the dir stays for its logs (the next start clears it).
  [[ -n "${STARTING:-}" ]] && stop_daemons
  exit 1
}

dump_logs() {
  [[ -d "$DIR/log" ]] || return 0
  local f
  for f in "$DIR"/log/*.log; do
    [[ -s "$f" ]] || continue
    echo "----- last lines of $f -----" >&2
    tail -n 40 "$f" >&2
  done
}

elapsed() { echo $((SECONDS - START_SECONDS))s; }

# A free TCP port on 127.0.0.1 (node is always there: this is a Node project).
free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 20 "$@"; }

# Wait until "$@" succeeds, up to $TIMEOUT seconds; dies with the daemon logs otherwise.
wait_for() {
  local what="$1"
  shift
  local deadline=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.25
  done
}

# `ceph osd new UUID`, its answer (the OSD id) kept in run/osd-id.
osd_new() {
  ceph_cli osd new "$1" >"$DIR/run/osd-id.tmp" 2>>"$DIR/log/osd-new.log" && mv "$DIR/run/osd-id.tmp" "$DIR/run/osd-id"
}

install_if_missing() {
  local missing=()
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  [[ $(id -u) -eq 0 ]] || die "Ceph packages missing (${missing[*]}) and not root: cannot apt-get install"
  log "installing ${missing[*]} (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

read_env_file() {
  [[ -f "$DIR/env" ]] || return 1
  cat "$DIR/env"
}

endpoint() { sed -n 's/^S3_ENDPOINT_URL=//p' "$DIR/env" 2>/dev/null; }

# Whether the gateway at $1 (default: the one in the env file) answers.
gateway_up() {
  local url="${1:-$(endpoint)}"
  [[ -n "$url" ]] && curl -fsS -m 2 -o /dev/null "$url/"
}

stop_daemons() {
  local name pidfile pid pids=()
  for name in rgw osd mon; do
    pidfile="$DIR/run/$name.pid"
    [[ -f "$pidfile" ]] || continue
    pid="$(cat "$pidfile")"
    # Only kill a process this script started: its command line names our config file.
    # SIGKILL: memstore keeps nothing worth a clean shutdown, and radosgw takes seconds on SIGTERM.
    if [[ -n "$pid" ]] && grep -qF "$CONF" "/proc/$pid/cmdline" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$pidfile"
  done
  # Exiting takes a moment (threads, memory); wait so the ports are free when we return.
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
  done
}

cmd_stop() {
  stop_daemons
  # Refuse to remove anything that does not look like our cluster dir.
  if [[ -d "$DIR" ]]; then
    [[ -f "$CONF" || -z "$(ls -A "$DIR")" ]] || die "$DIR is not a cluster dir made by this script; not removing it"
    rm -rf "$DIR"
  fi
  log "stopped; removed $DIR"
}

write_conf() {
  local fsid="$1" mon_port="$2" s3_port="$3"
  cat >"$CONF" <<EOF
[global]
fsid = $fsid
mon host = v1:127.0.0.1:$mon_port
public network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
log to stderr = false
err to stderr = true
# One OSD holds everything: size 1 pools, no replication health checks in the way.
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
mon allow pool delete = true
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
# Small disks and tmpfs must not stop the monitor.
mon data avail crit = 0
mon data avail warn = 0
# Commit map changes every 50 ms instead of every second: RGW creates ~7 pools at first start.
paxos propose interval = 0.05
paxos min wait = 0.01
# Few threads: the test machine has 2 cores.
ms async op threads = 1
osd op num shards = 1
osd op num threads per shard = 2
# No debug logging: Ceph formats its debug messages (levels 1-5 kept in memory by default) on
# every request, and the tests' S3 traffic is thousands of small requests a minute.
debug ms = 0/0
debug rgw = 0/0
debug osd = 0/0
debug mon = 0/0
debug paxos = 0/0
debug monc = 0/0
debug objecter = 0/0
debug rados = 0/0
debug auth = 0/0
debug objclass = 0/0
debug asok = 0/0
debug finisher = 0/0
debug context = 0/0
debug crush = 0/0
debug optracker = 0/0
debug rocksdb = 0/0

[mon]
mon data = $DIR/mon
mon initial members = a
mon cluster log file = $DIR/log/cluster.log

[osd]
osd data = $DIR/osd
osd objectstore = memstore
memstore device bytes = $MEM_BYTES
osd journal size = 0
osd max object name len = 256
osd max object namespace len = 64
# The OSD would send its CRUSH placement to the monitor itself, but under load it can send it before
# it knows the cluster's fsid ('wrong fsid', then it aborts): this script places it instead.
osd crush update on start = false
osd class update on start = false

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$s3_port
rgw dns name = 127.0.0.1
rgw enable usage log = false
rgw thread pool size = 64
rgw data = $DIR/rgw
# Listing must see what was written a moment ago.
rgw cache enabled = true
EOF
}

# One SigV4-signed request with an empty body (curl signs it; RGW wants the payload hash header).
s3_request() {
  local method="$1" path="$2" out="$3"
  curl -sS -m 30 -o "$out" -w '%{http_code}' -X "$method" --data-binary '' \
    -H 'x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' \
    --aws-sigv4 'aws:amz:us-east-1:s3' --user "$ACCESS_KEY:$SECRET_KEY" "$S3_URL$path"
}

cmd_start() {
  START_SECONDS=$SECONDS
  if [[ -f "$DIR/env" ]] && gateway_up; then
    log "already running at $(endpoint)"
    read_env_file
    return 0
  fi
  if [[ -d "$DIR" ]]; then
    log "stale cluster dir $DIR: cleaning up"
    cmd_stop
  fi
  STARTING=1
  install_if_missing
  log "packages ready ($(elapsed))"

  local s3_port="${PP_S3_PORT:-}" mon_port="${PP_CEPH_MON_PORT:-0}"
  if [[ -z "$s3_port" ]]; then
    s3_port=7480
    port_in_use "$s3_port" && s3_port=0
  fi
  [[ "$s3_port" == 0 ]] && s3_port="$(free_port)"
  [[ "$mon_port" == 0 ]] && mon_port="$(free_port)"
  port_in_use "$s3_port" && die "port $s3_port is in use"

  mkdir -p "$DIR"/{mon,osd,run,log,rgw}
  local fsid
  fsid="$(cat /proc/sys/kernel/random/uuid)"
  write_conf "$fsid" "$mon_port" "$s3_port"

  # Monitor. A keyring is still needed by --mkfs even with auth none.
  ceph-authtool --create-keyring "$DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v1:127.0.0.1:$mon_port]" "$DIR/monmap" >/dev/null
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/keyring" ||
    die "ceph-mon --mkfs failed"
  ceph-mon -c "$CONF" -i a --pid-file "$DIR/run/mon.pid" || die "ceph-mon did not start"
  wait_for "the monitor" ceph_cli mon stat
  log "monitor up on 127.0.0.1:$mon_port ($(elapsed))"

  # OSD: register it, then mkfs (its data dir must exist first), then start it.
  local osd_uuid osd_id
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"
  # Both retried: right after answering `mon stat` a monitor has refused the next command, with
  # EPERM "wrong fsid" (the CLI sent an all-zero fsid) and under load (CI, load 10 on 2 cores).
  # `osd new` is idempotent for one uuid: a retry after a lost answer returns the same id.
  wait_for "the OSD to be registered" osd_new "$osd_uuid"
  osd_id="$(cat "$DIR/run/osd-id")"
  [[ "$osd_id" == 0 ]] || die "expected osd id 0, got '$osd_id'"
  wait_for "the OSD in the CRUSH map" ceph_cli osd crush add osd.0 1.0 host=localhost root=default
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>"$DIR/log/osd-mkfs.log" ||
    die "ceph-osd --mkfs failed: $(cat "$DIR/log/osd-mkfs.log")"
  ceph-osd -c "$CONF" -i 0 --pid-file "$DIR/run/osd.pid" 2>>"$DIR/log/osd-start.log" ||
    die "ceph-osd did not start"
  wait_for "the OSD to be up" bash -c "ceph -c '$CONF' --connect-timeout 5 osd dump 2>/dev/null | grep -q '^osd.0 up'"
  log "osd.0 up ($(elapsed))"

  # Gateway: it creates its pools on first start.
  radosgw -c "$CONF" -n client.rgw --pid-file "$DIR/run/rgw.pid" 2>>"$DIR/log/rgw-start.log" ||
    die "radosgw did not start"
  S3_URL="http://127.0.0.1:$s3_port"
  wait_for "radosgw on 127.0.0.1:$s3_port" gateway_up "$S3_URL"
  log "radosgw up on 127.0.0.1:$s3_port ($(elapsed))"

  radosgw-admin -c "$CONF" -n client.admin user create --uid=pp-test --display-name="payments-pipeline tests" \
    --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >/dev/null 2>"$DIR/log/user-create.log" ||
    die "radosgw-admin user create failed: $(cat "$DIR/log/user-create.log")"
  # A signed PUT creates the bucket (409 = it exists already); a first object then makes RGW
  # create its data pool now rather than inside the first test.
  local code
  code="$(s3_request PUT "/$BUCKET" "$DIR/log/bucket-create.log")"
  [[ "$code" == 200 || "$code" == 409 ]] ||
    die "creating bucket $BUCKET failed with HTTP $code: $(cat "$DIR/log/bucket-create.log")"
  code="$(s3_request PUT "/$BUCKET/_s3-server-warmup" "$DIR/log/warmup.log")"
  [[ "$code" == 200 ]] || die "first PUT to $BUCKET failed with HTTP $code: $(cat "$DIR/log/warmup.log")"
  s3_request DELETE "/$BUCKET/_s3-server-warmup" /dev/null >/dev/null
  # Written last: `env` and an idempotent `start` trust only a cluster that got this far.
  cat >"$DIR/env" <<EOF
S3_ENDPOINT_URL=$S3_URL
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
S3_BUCKET=$BUCKET
EOF
  log "user and bucket '$BUCKET' ready; booted in $(elapsed)"
  read_env_file
}

cmd_env() {
  read_env_file && return 0
  log "no server in $DIR (run: $0 start)"
  return 1
}

cmd_status() {
  if gateway_up; then
    log "up at $(endpoint)"
  else
    log "down"
    return 1
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  env) cmd_env ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 start|stop|env|status" >&2
    exit 2
    ;;
esac
