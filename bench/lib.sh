# shellcheck shell=bash
# Shared pieces of the bench scripts: free ports, waiting for a port, timing, cleanup.
# Sourced, never run. Everything listens on 127.0.0.1 only.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${RELAYLAB:=$bench_root/build-perf/relaylab}"

# A TCP port nobody listens on now (the kernel picks it).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_tcp PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_tcp() {
    local port=$1 limit=${2:-10} i=0
    while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        i=$((i + 1)); [ "$i" -gt $((limit * 20)) ] && { echo "nothing listens on 127.0.0.1:$port" >&2; return 1; }
        sleep 0.05
    done
}

now_s() { date +%s.%N; }

# The last "mesg=N" counter smtp-sink -c wrote to FILE (0 before the first).
sink_count() { awk -v RS='[\r\n]' '/mesg=/{sub(/.*mesg=/, ""); n = $0 + 0} END{print n + 0}' "$1" 2>/dev/null || echo 0; }

# wait_sink FILE N SECONDS: until the sink counted N messages; prints the time it happened.
wait_sink() {
    local file=$1 want=$2 limit=$3 start n
    start=$(now_s)
    while :; do
        n=$(sink_count "$file"); n=${n:-0}
        [ "$n" -ge "$want" ] && { now_s; return 0; }
        if awk -v s="$start" -v l="$limit" -v t="$(now_s)" 'BEGIN{exit !(t - s > l)}'; then
            echo "sink saw $n of $want messages within ${limit}s" >&2; return 1
        fi
        sleep 0.02
    done
}

load_average() { cut -d' ' -f1-3 /proc/loadavg; }

median() { sort -g | awk '{a[NR]=$1} END{ if (NR==0) print "n/a"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2 }'; }

# start_sink PORT OUTFILE: smtp-sink with running counters (-c). Its counters are written only to a
# terminal promptly, so it runs under script(1); prints the pids to stop (script and the sink).
start_sink() {
    local port=$1 out=$2
    script -qfc "/usr/sbin/smtp-sink -u nobody -c 127.0.0.1:$port 1000" /dev/null > "$out" 2>&1 &
    local pid=$!
    wait_tcp "$port" 10 || return 1
    echo "$pid $(pgrep -P "$pid" | tr '\n' ' ')"
}

# stop_pids PID...: TERM, wait up to 10 s for them to exit (valgrind writes its profile then),
# then KILL what is left; only the pids given.
stop_pids() {
    local p i alive
    for p in "$@"; do kill "$p" 2>/dev/null || true; done
    for i in $(seq 1 100); do
        alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "$@"; do kill -9 "$p" 2>/dev/null || true; done
    return 0
}
