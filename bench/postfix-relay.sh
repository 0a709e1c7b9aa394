# shellcheck shell=bash
# A throwaway Postfix 3.7 relay under DIR: its own queue and data directories, smtpd on
# 127.0.0.1:PORT, everything relayed to [127.0.0.1]:SINKPORT. Sourced by relay-throughput.sh.
# Needs root (Postfix's master drops to the postfix user itself).

# postfix_start DIR PORT SINKPORT
postfix_start() {
    local dir=$1 port=$2 sink=$3
    mkdir -p "$dir/queue" "$dir/data"
    chown postfix "$dir/data"
    cat > "$dir/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix-bench.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$sink
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
local_recipient_maps =
smtp_dns_support_level = disabled
disable_dns_lookups = yes
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
biff = no
CF
    cat > "$dir/master.cf" <<CF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
    postfix -c "$dir" check >/dev/null 2>&1 || true
    postfix -c "$dir" start >"$dir/start.log" 2>&1 || { cat "$dir/start.log" >&2; return 1; }
    wait_tcp "$port" 20
}

postfix_stop() {
    local dir=$1
    postfix -c "$dir" stop >/dev/null 2>&1 || true
    # master exits after its children; don't leave it behind
    local i=0
    while [ -f "$dir/queue/pid/master.pid" ] && kill -0 "$(tr -d ' ' < "$dir/queue/pid/master.pid")" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1
    done
}
