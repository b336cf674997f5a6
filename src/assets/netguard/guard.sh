# Run by orch in its network guard container (the host's pid and network namespaces): puts a
# firewall into the network namespace of the sandbox whose host pid is $1, rejecting every address
# of this host and the ranges given after it; the sandbox's own loopback and DNS to the resolvers in
# its resolv.conf (and nowhere else: a host may serve port 53 to its bridges) stay open.
set -eu
pid=$1
shift
v4="" v6="" dns4="" dns6=""
add() { case $1 in *:*) v6="$v6 $1" ;; *) v4="$v4 $1" ;; esac; }
for r in "$@"; do add "$r"; done
mine=$(ip -o addr show | awk '{ sub(/\/.*/, "", $4); print $4 }')
[ -n "$mine" ] || { echo "cannot list this host's addresses" >&2; exit 1; }
for a in $mine; do add "$a"; done
resolv=$(cat "/proc/$pid/root/etc/resolv.conf") || { echo "cannot read the sandbox's resolv.conf" >&2; exit 1; }
for s in $(echo "$resolv" | awk '$1 == "nameserver" { sub(/%.*/, "", $2); print $2 }'); do
  case $s in 127.*|::1) ;; *:*) dns6="$dns6 $s" ;; *) dns4="$dns4 $s" ;; esac
done
rules() {  # reject-with resolvers destinations
  echo '*filter'
  echo ':INPUT ACCEPT [0:0]'
  echo ':FORWARD ACCEPT [0:0]'
  echo ':OUTPUT ACCEPT [0:0]'
  echo '-A OUTPUT -o lo -j ACCEPT'
  echo '-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT'
  for s in $2; do
    echo "-A OUTPUT -d $s -p udp --dport 53 -j ACCEPT"
    echo "-A OUTPUT -d $s -p tcp --dport 53 -j ACCEPT"
  done
  for d in $3; do echo "-A OUTPUT -d $d -j REJECT --reject-with $1"; done
  echo 'COMMIT'
}
ns="nsenter --net=/proc/$pid/ns/net"
rules icmp-admin-prohibited "$dns4" "$v4" | $ns iptables-restore -w 5
if ! rules icmp6-adm-prohibited "$dns6" "$v6" | $ns ip6tables-restore -w 5; then
  [ "$($ns cat /proc/sys/net/ipv6/conf/all/disable_ipv6)" = 1 ] || { echo "cannot guard IPv6" >&2; exit 1; }
fi
echo "guarded $($ns iptables -S OUTPUT | grep -c REJECT)"
