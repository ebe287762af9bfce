#!/usr/bin/env bash
# A small internet in network namespaces, for direct links behind NAT (issue 15):
#
#   public 10.99.0.0/24 (bridge): server + relay (then a separate parley-relay) and
#         carol at .1, dave at .1 too
#   home1 192.168.99.0/24 behind router r1 (wan 10.99.0.11): MASQUERADE, REJECTs
#         unsolicited connections; alice at .2
#   home2 192.168.98.0/24 behind router r2 (wan 10.99.0.12): MASQUERADE, DROPs them;
#         bob and erin at .2
#
# Peers are driven with --json scripts. Needs root (namespaces, iptables); otherwise it
# says why and is skipped (exit 77). Everything it made is deleted at the end, also on
# failure. Usage: netbed.sh BUILD_DIR
set -euo pipefail

BUILD=${1:?usage: netbed.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
SERVER_BIN=$BUILD/server/parley-server
PEER_BIN=$BUILD/peer/parley-peer
RELAY_BIN=$BUILD/relay/parley-relay
TIMEOUT=${TIMEOUT:-20}

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the NAT test bed needs root (network namespaces and iptables)"
  exit 77
fi
for tool in ip iptables; do
  if ! command -v $tool >/dev/null; then
    echo "SKIP: the NAT test bed needs '$tool' (./dev.sh deps installs it)"
    exit 77
  fi
done

ID=$$
PUB=pl$ID-pub R1=pl$ID-r1 H1=pl$ID-h1 R2=pl$ID-r2 H2=pl$ID-h2
WORK=$(mktemp -d /tmp/parley-netbed.XXXXXX)
PIDS=()

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for ns in $PUB $R1 $H1 $R2 $H2; do ip netns del "$ns" 2>/dev/null || true; done
  if [ $status -ne 0 ]; then
    echo "netbed: FAILED; logs in $WORK" >&2
    for f in "$WORK"/*.out "$WORK"/*.err; do
      [ -f "$f" ] || continue
      echo "---- $f" >&2
      tail -n 40 "$f" >&2
    done
  else
    rm -rf "$WORK"
  fi
  exit $status
}
trap cleanup EXIT INT TERM

fail() {
  echo "netbed: FAIL: $*" >&2
  exit 1
}

# ---- the network ----
for ns in $PUB $R1 $H1 $R2 $H2; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
ip -n $PUB link add br0 type bridge
ip -n $PUB addr add 10.99.0.1/24 dev br0
ip -n $PUB link set br0 up

# home N: router $1 with wan address $2, home namespace $3 on lan $4 (x.y.z), policy $5
make_home() {
  local router=$1 wan=$2 home=$3 lan=$4 policy=$5
  ip link add wan$ID netns "$router" type veth peer name p-$router netns $PUB
  ip -n $PUB link set "p-$router" master br0 up
  ip -n "$router" link set "wan$ID" name wan
  ip -n "$router" addr add "$wan/24" dev wan
  ip -n "$router" link set wan up
  ip link add lan$ID netns "$router" type veth peer name eth$ID netns "$home"
  ip -n "$router" link set "lan$ID" name lan
  ip -n "$router" addr add "$lan.1/24" dev lan
  ip -n "$router" link set lan up
  ip -n "$home" link set "eth$ID" name eth0
  ip -n "$home" addr add "$lan.2/24" dev eth0
  ip -n "$home" link set eth0 up
  ip -n "$home" route add default via "$lan.1"
  ip netns exec "$router" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$router" iptables -t nat -A POSTROUTING -o wan -j MASQUERADE
  if [ "$policy" = reject ]; then
    ip netns exec "$router" iptables -A FORWARD -i wan -m conntrack --ctstate NEW -j REJECT --reject-with tcp-reset -p tcp
    ip netns exec "$router" iptables -A INPUT -i wan -m conntrack --ctstate NEW -j REJECT --reject-with tcp-reset -p tcp
  else
    ip netns exec "$router" iptables -A FORWARD -i wan -m conntrack --ctstate NEW -j DROP
    ip netns exec "$router" iptables -A INPUT -i wan -m conntrack --ctstate NEW -j DROP
  fi
}
make_home $R1 10.99.0.11 $H1 192.168.99 reject
make_home $R2 10.99.0.12 $H2 192.168.98 drop

# ---- programs ----
printf 'alice alice123\nbob bob123\ncarol carol123\ndave dave123\nerin erin123\n' >"$WORK/credentials.txt"

# Waits until FILE has a line matching the extended regex PATTERN (event-driven: tail -f).
wait_for() {
  local file=$1 pattern=$2
  timeout "$TIMEOUT" grep -m1 -qE -- "$pattern" <(tail -n +1 -F "$file" 2>/dev/null) ||
    fail "no line matching '$pattern' in $(basename "$file") within ${TIMEOUT}s"
}
# Waits for the Nth line matching PATTERN.
wait_count() {
  local file=$1 pattern=$2 count=$3
  # grep -m stops at the Nth match (a pipeline into head would also wait for tail, which
  # only notices the closed pipe at its next write); -c into a variable, since GNU grep
  # writing to /dev/null stops at the first match whatever -m says.
  local seen
  seen=$(timeout "$TIMEOUT" grep -m "$count" -c -E -- "$pattern" <(tail -n +1 -F "$file" 2>/dev/null)) ||
    fail "fewer than $count lines matching '$pattern' in $(basename "$file") within ${TIMEOUT}s"
}

start_server() {
  local name=$1
  shift
  ip netns exec $PUB "$SERVER_BIN" --bind 10.99.0.1 --port 7878 --credentials "$WORK/credentials.txt" \
    --data-dir "$WORK/${DATA:-$name}-data" --log-level info --relay-capture "$WORK/$name.capture" "$@" \
    </dev/null >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PIDS+=($!)
  SERVER_PID=$!
  wait_for "$WORK/$name.out" "listening on"
}

# start_peer NAME NAMESPACE [flags...]: stdin is a FIFO the test writes commands into.
declare -A FD
start_peer() {
  local user=$1 ns=$2
  shift 2
  mkdir -p "$WORK/$user/share" "$WORK/$user/downloads"
  echo "$user""123" >"$WORK/$user/password"
  mkfifo "$WORK/$user.in"
  ip netns exec "$ns" "$PEER_BIN" --server 10.99.0.1:7878 --user "$user" --password-file "$WORK/$user/password" \
    --json --data-dir "$WORK/$user/data" --share-dir "$WORK/$user/share" \
    --download-dir "$WORK/$user/downloads" --log-level info "$@" \
    <"$WORK/$user.in" >"$WORK/$user.out" 2>"$WORK/$user.err" &
  PIDS+=($!)
  exec {fd}>"$WORK/$user.in"
  FD[$user]=$fd
  wait_for "$WORK/$user.out" '"type":"login"'
}
say() { echo "$2" >&"${FD[$1]}"; }

# A file of recognisable lines: any of them in a capture would be plaintext leaking.
make_file() {
  local path=$1 lines=$2
  for i in $(seq 1 "$lines"); do printf 'chunk-plaintext-%06d-%s\n' "$i" "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"; done >"$path"
}

echo "netbed: namespaces up; phase 1: reachability, direct and reverse links, relayed links"
start_server s1 --relay-max-links 2
start_peer carol $PUB
start_peer dave $PUB --advertise 10.99.0.99
start_peer alice $H1
start_peer bob $H2
start_peer erin $H2

# ---- reachability ----
wait_for "$WORK/carol.out" '"reachable":true'
wait_for "$WORK/alice.out" '"message":"direct links: behind NAT[^"]*","reachable":false'
wait_for "$WORK/bob.out" '"reachable":false'
wait_for "$WORK/erin.out" '"reachable":false'
wait_for "$WORK/dave.out" '"message":"direct links: the advertised address 10.99.0.99:[0-9]+ is wrong[^"]*","reachable":false'
echo "netbed: ok: reachability (reachable, behind NAT x2 routers, wrong --advertise)"

# ---- public <-> home: direct one way, reverse the other ----
say alice "startprivate carol"
wait_for "$WORK/alice.out" '"type":"link","user":"carol","state":"open".*"path":"direct"'
wait_for "$WORK/carol.out" '"type":"link","user":"alice","state":"open".*"path":"direct"'
say alice "stopprivate carol"
wait_for "$WORK/carol.out" '"type":"link","user":"alice","state":"closed"'
say carol "startprivate alice"
wait_for "$WORK/carol.out" '"type":"link","user":"alice","state":"open".*"path":"reverse"'
wait_for "$WORK/alice.out" '"type":"link","user":"carol","state":"open".*"path":"reverse"'
say carol "private alice over-the-reverse-link"
wait_for "$WORK/alice.out" '"type":"private","from":"carol","text":"over-the-reverse-link"'
wait_for "$WORK/carol.out" '"user":"alice","status":"delivered"'
echo "netbed: ok: public <-> home private links (direct, reverse) and text"

make_file "$WORK/alice/share/home.txt" 3000
say alice "register home.txt 5"
wait_for "$WORK/alice.out" '"type":"registered","file":"home.txt"'
say carol "download home.txt"
say carol "wait"
wait_for "$WORK/carol.out" '"type":"downloaded","file":"home.txt"'
cmp "$WORK/alice/share/home.txt" "$WORK/carol/downloads/home.txt" || fail "home.txt differs after the download"
say carol "downloads"
wait_for "$WORK/carol.out" '"type":"downloads".*"file":"home.txt".*"paths":\{"alice":"reverse"\}'
echo "netbed: ok: download from a home peer (reverse transfer link)"

# ---- home <-> home over the relay ----
SECRET="relay-secret-text-$RANDOM$RANDOM"
say alice "startprivate bob"
wait_for "$WORK/alice.out" '"type":"link","user":"bob","state":"open".*"path":"relay"'
wait_for "$WORK/bob.out" '"type":"link","user":"alice","state":"open".*"path":"relay"'
say alice "private bob $SECRET-1"
wait_for "$WORK/bob.out" "\"type\":\"private\",\"from\":\"alice\",\"text\":\"$SECRET-1\""
say bob "private alice $SECRET-2"
wait_for "$WORK/alice.out" "\"type\":\"private\",\"from\":\"bob\",\"text\":\"$SECRET-2\""
make_file "$WORK/bob/share/far.txt" 6000
say bob "register far.txt 7"
wait_for "$WORK/bob.out" '"type":"registered","file":"far.txt"'
say alice "download far.txt"
say alice "wait"
wait_for "$WORK/alice.out" '"type":"downloaded","file":"far.txt"'
cmp "$WORK/bob/share/far.txt" "$WORK/alice/downloads/far.txt" || fail "far.txt differs after the relayed download"
say alice "downloads"
wait_for "$WORK/alice.out" '"type":"downloads".*"file":"far.txt".*"paths":\{"bob":"relay"\}'
echo "netbed: ok: home <-> home chat and a 7-chunk download over the relay"

# ---- the relay at its cap (2 links: the chat and the transfer link above) ----
say alice "startprivate erin"
wait_for "$WORK/alice.out" '"type":"error","command":"startprivate","message":"[^"]*the relay is full: 2 relayed links'
wait_for "$WORK/erin.out" '"type":"error","command":"link","message":"[^"]*the relay is full: 2 relayed links'
wait_for "$WORK/s1.err" 'relay: refused .*the relay is full'
echo "netbed: ok: a relay at its cap refuses, with the reason, to both peers (and logs it)"

# ---- what the relay saw: ciphertext only ----
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
CAPTURE="$WORK/s1.capture"
size=$(stat -c %s "$CAPTURE")
[ "$size" -gt "$(stat -c %s "$WORK/bob/share/far.txt")" ] || fail "the relay capture holds only $size bytes"
if grep -a -q -F "$SECRET" "$CAPTURE"; then fail "the relay saw the private text"; fi
if grep -a -q -F "chunk-plaintext-" "$CAPTURE"; then fail "the relay saw chunk plaintext"; fi
echo "netbed: ok: the relay carried $size bytes, none of them private text or chunk plaintext"

# ---- links that do not need the registry survive it ----
say carol "private alice after-the-server-died"
wait_for "$WORK/alice.out" '"type":"private","from":"carol","text":"after-the-server-died"'
echo "netbed: ok: a reverse link keeps working with the registry down"

# ---- phase 2: a separate parley-relay; relayed links need it, not the registry ----
echo "netbed: phase 2: a separate parley-relay, the registry killed under a relayed link"
wait_for "$WORK/alice.out" '"type":"link","user":"bob","state":"closed"'  # its relay was in s1
printf 'netbed-relay-secret-%s\n' "$RANDOM$RANDOM$RANDOM" >"$WORK/relay-secret"
ip netns exec $PUB "$RELAY_BIN" --bind 10.99.0.1 --port 7879 --secret-file "$WORK/relay-secret" \
  --data-dir "$WORK/relay-data" --log-level info </dev/null >"$WORK/relay.out" 2>"$WORK/relay.err" &
PIDS+=($!)
wait_for "$WORK/relay.out" "listening on"
RELAY_FP=$(grep -oE 'fingerprint [0-9a-f]{64}' "$WORK/relay.out" | cut -d' ' -f2)
RELAY_AT=(--relay-at 10.99.0.1:7879 --relay-fingerprint "$RELAY_FP" --relay-secret-file "$WORK/relay-secret")
DATA=s1 start_server s2 "${RELAY_AT[@]}"  # the same data: the peers pinned its certificate
for user in alice bob; do wait_count "$WORK/$user.out" '"type":"server","state":"back"' 1; done
say alice "startprivate bob"
wait_count "$WORK/alice.out" '"type":"link","user":"bob","state":"open".*"path":"relay"' 2
wait_count "$WORK/bob.out" '"type":"link","user":"alice","state":"open".*"path":"relay"' 2
head -c 12M /dev/urandom >"$WORK/bob/share/big.bin"
say bob "register big.bin 12"
wait_for "$WORK/bob.out" '"type":"registered","file":"big.bin"'
say alice "download big.bin"
wait_for "$WORK/alice.out" '"type":"progress","file":"big.bin"'  # its transfer link is open
kill -KILL "$SERVER_PID"
for user in alice bob; do wait_count "$WORK/$user.out" '"type":"server","state":"lost"' 2; done
say alice "private bob alice-to-bob-registry-dead"
wait_for "$WORK/bob.out" '"type":"private","from":"alice","text":"alice-to-bob-registry-dead"'
say bob "private alice bob-to-alice-registry-dead"
wait_for "$WORK/alice.out" '"type":"private","from":"bob","text":"bob-to-alice-registry-dead"'
say alice "wait"
wait_for "$WORK/alice.out" '"type":"downloaded","file":"big.bin"'
cmp "$WORK/bob/share/big.bin" "$WORK/alice/downloads/big.bin" || fail "big.bin differs after the relayed download"
echo "netbed: ok: a relayed chat (both ways) and a 12 MiB download carry on with the registry killed"

DATA=s1 start_server s3 "${RELAY_AT[@]}"
for user in alice bob; do wait_count "$WORK/$user.out" '"type":"server","state":"back"' 2; done
say bob "private alice after-the-restart"
wait_for "$WORK/alice.out" '"type":"private","from":"bob","text":"after-the-restart"'
say alice "stopprivate bob"
wait_count "$WORK/bob.out" '"type":"link","user":"alice","state":"closed"' 2
say alice "startprivate bob"
wait_count "$WORK/alice.out" '"type":"link","user":"bob","state":"open".*"path":"relay"' 3
say alice "private bob over-a-new-relayed-link"
wait_for "$WORK/bob.out" '"type":"private","from":"alice","text":"over-a-new-relayed-link"'
echo "netbed: ok: after a restart the old relayed link carries on and a new one opens"
echo "netbed: all passed"
