#!/usr/bin/env bash
# bench/nsscan.sh — the node namespace scan against the seed pipeline it replaces.
#
# For each size (default: 300 and 3000) it builds a node's worth of pod network
# namespaces: N `sleep` processes, each alone in a new network namespace with an
# eth0 veth (address 198.18.x.y/16, RFC 2544 benchmark space) whose peer sits in
# a "node" namespace held the same way. It then times the seed scripts'
#   lsns -t net -n -o NS,PID | awk '{print $2}' | xargs -I{} nsenter -t {} -n ip addr
# with hyperfine (or a plain loop), tears the namespaces down, and runs
#   go test -bench 'BenchmarkScan/netns=(300|1000|3000)$' ./pkg/probes/nsscan
# which builds the same fixture in Go. Last it prints ns/op, allocs and the
# speedup at each size both sides ran.
#
# Cleanup: every process this script starts is a `sleep` with PDEATHSIG=KILL
# (setpriv), so even `kill -9` of the script takes all namespaces and veths
# with it; the EXIT/INT/TERM/HUP trap kills them by their recorded PIDs too.
# Nothing is bind-mounted, nothing named, the host namespace is never touched.
#
# Duration: building 3000 namespaces from bash (one nsenter per namespace) and
# two seed runs over them dominate; on the shared 2-core dev VM under load it
# took ~14 min to build 3000 and ~6 min per seed run at 3000. The 300-only run
# (bench/nsscan.sh 300) takes ~3 min.
#
# Usage: sudo bench/nsscan.sh [SIZE...]      (root: creates namespaces)
# Env:   SEED_RUNS (default 5; 2 for sizes > 1000), BENCHTIME (default 10x),
#        GO_SIZES (default "300|1000|3000"), OUT (results dir, default a temp dir)
set -euo pipefail

cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "needs root: creates network namespaces" >&2; exit 1; }
for tool in lsns nsenter ip unshare setpriv go; do
	command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

SIZES=("$@")
[[ ${#SIZES[@]} -gt 0 ]] || SIZES=(300 3000)
BENCHTIME=${BENCHTIME:-10x}
GO_SIZES=${GO_SIZES:-300|1000|3000}
OUT=${OUT:-$(mktemp -d /tmp/nsscan-bench.XXXXXX)}
mkdir -p "$OUT"
STATE=$(mktemp -d /tmp/nsscan-bench-state.XXXXXX)
PIDS=$STATE/pids
: >"$PIDS"

# One benchmark at a time: two would each see the other's namespaces.
exec 9>/tmp/nsscan-bench.lock
flock -n 9 || { echo "another bench/nsscan.sh is running" >&2; exit 1; }

teardown() {
	# Only the PIDs this script recorded, never a name match. The group's
	# redirect also swallows bash's "Killed" notice for each reaped job.
	{
		if [[ -s $PIDS ]]; then
			xargs -r kill -KILL <"$PIDS" || true
			: >"$PIDS"
		fi
		wait || true
	} 2>/dev/null
}
cleanup() {
	trap - EXIT INT TERM HUP
	teardown
	rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# holder starts `sleep infinity` in a new network namespace, killed if we die.
holder() {
	unshare --net setpriv --pdeathsig KILL sleep infinity &
	echo $! >>"$PIDS"
	LAST=$!
}

build() {
	local n=$1 i
	holder
	local node=$LAST
	local pods=()
	for ((i = 0; i < n; i++)); do
		holder
		pods+=("$LAST")
	done
	# Address namespaces by PID only once each child is `sleep`, i.e. past
	# unshare and setpriv (read is a builtin: no fork per check).
	local pid comm
	for pid in "$node" "${pods[@]}"; do
		for ((i = 0; i < 500; i++)); do
			comm=
			read -r comm <"/proc/$pid/comm" 2>/dev/null || true
			[[ $comm == sleep ]] && break
			sleep 0.01
		done
		[[ $comm == sleep ]] || { echo "holder $pid did not start" >&2; return 1; }
	done
	# All veths in one ip process; each is created directly in its namespaces.
	for ((i = 0; i < n; i++)); do
		echo "link add nb$i netns $node type veth peer name eth0 netns ${pods[$i]}"
	done >"$STATE/veths.batch"
	ip -batch "$STATE/veths.batch"
	for ((i = 0; i < n; i++)); do
		echo "${pods[$i]} 198.18.$((1 + i / 250)).$((1 + i % 250))"
	done | xargs -P 4 -n 2 sh -c 'nsenter -t "$0" -n ip -batch - <<EOB
addr add $1/16 dev eth0
link set lo up
link set eth0 up
EOB'
}

# The seed pipeline, as a script so hyperfine's shell runs it unchanged.
cat >"$STATE/seed.sh" <<'EOS'
lsns -t net -n -o NS,PID | awk '{print $2}' | xargs -I{} nsenter -t {} -n ip addr >/dev/null
EOS

declare -A SEED_MEAN
for n in "${SIZES[@]}"; do
	echo "== building $n pod namespaces"
	start=$(date +%s)
	build "$n"
	total=$(lsns -t net -n -o NS | wc -l)
	echo "   built in $(($(date +%s) - start))s; lsns sees $total network namespaces on the machine"
	runs=${SEED_RUNS:-$([[ $n -gt 1000 ]] && echo 2 || echo 5)}
	echo "== seed pipeline, $n pods, $runs runs"
	if command -v hyperfine >/dev/null; then
		# --ignore-failure: the seed is racy by nature (a process lsns listed may
		# be gone when nsenter runs, and xargs then exits 123); time it anyway.
		hyperfine --style basic --ignore-failure --runs "$runs" --export-json "$OUT/seed-$n.json" \
			--command-name "seed lsns|nsenter ip addr ($n pods)" "bash $STATE/seed.sh"
		SEED_MEAN[$n]=$(awk -F': *' '/"mean"/ {gsub(/,/, "", $2); print $2; exit}' "$OUT/seed-$n.json")
	else
		t0=$(date +%s%N)
		for ((r = 0; r < runs; r++)); do bash "$STATE/seed.sh" || true; done
		SEED_MEAN[$n]=$(awk -v d=$(($(date +%s%N) - t0)) -v r="$runs" 'BEGIN {printf "%.6f", d / r / 1e9}')
		echo "   mean ${SEED_MEAN[$n]} s"
	fi
	teardown
done

echo "== go test -bench 'BenchmarkScan/netns=($GO_SIZES)\$' -benchtime $BENCHTIME"
go test -run '^$' -bench "BenchmarkScan/netns=($GO_SIZES)\$" -benchmem -benchtime "$BENCHTIME" -count 1 \
	-timeout 60m ./pkg/probes/nsscan | tee "$OUT/go-bench.txt"

echo
echo "== summary (results in $OUT)"
declare -A DONE_N
printf "%-8s %14s %12s %14s %12s %12s %10s\n" size seed_s/run scan_ms/op scan_us/netns B/op allocs/op speedup
for n in 300 1000 3000 "${SIZES[@]}"; do
	line=$(grep -E "^BenchmarkScan/netns=$n-" "$OUT/go-bench.txt" || true)
	[[ -n $line ]] || continue
	[[ -z ${DONE_N[$n]:-} ]] || continue
	DONE_N[$n]=1
	nsop=$(awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "ns/op") print $i}' <<<"$line")
	pernet=$(awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "ns/netns") print $i}' <<<"$line")
	bop=$(awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "B/op") print $i}' <<<"$line")
	allocs=$(awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "allocs/op") print $i}' <<<"$line")
	seed_s=${SEED_MEAN[$n]:-}
	speed="-"
	if [[ -n $seed_s ]]; then
		speed=$(awk -v s="$seed_s" -v g="$nsop" 'BEGIN {printf "%.0fx", s * 1e9 / g}')
		seed_s=$(awk -v s="$seed_s" 'BEGIN {printf "%.3f", s}')
	fi
	printf "%-8s %14s %12.2f %14.1f %12s %12s %10s\n" "$n" "${seed_s:--}" "$(awk -v g="$nsop" 'BEGIN {print g / 1e6}')" \
		"$(awk -v g="$pernet" 'BEGIN {print g / 1e3}')" "$bop" "$allocs" "$speed"
done
