"""NetworkPolicy egress rules made real for one pod, as a CNI that enforces policies would: iptables
rules in the pod container's network namespace (the double runs as root). Rules with ipBlock peers
are turned into accepts; the cluster DNS peer (kube-system's k8s-app=kube-dns pods) is the pod's
own resolvers, which the double's Docker bridge gives it; no ingress rule means no ingress."""
import subprocess

DNS_NAMESPACE, DNS_POD = {"kubernetes.io/metadata.name": "kube-system"}, {"k8s-app": "kube-dns"}


def enforced(policy):
    """Whether the double enforces this policy with iptables (one with ipBlock egress rules)."""
    return any("ipBlock" in peer for rule in (policy.get("spec") or {}).get("egress") or [] for peer in rule.get("to") or [])


def resolvers(pid):
    with open("/proc/%d/root/etc/resolv.conf" % pid) as f:
        return [line.split()[1].split("%")[0] for line in f if line.startswith("nameserver") and len(line.split()) > 1]


def peer_blocks(peer, dns):
    """The (cidr, except) blocks a peer stands for; a peer the double cannot place is an error."""
    if "ipBlock" in peer:
        return [(peer["ipBlock"]["cidr"], peer["ipBlock"].get("except") or [])]
    if (peer.get("namespaceSelector") or {}).get("matchLabels") == DNS_NAMESPACE and \
            (peer.get("podSelector") or {}).get("matchLabels") == DNS_POD:
        return [(r + ("/128" if ":" in r else "/32"), []) for r in dns]
    raise ValueError("the double enforces ipBlock and cluster-DNS egress peers only, not %r" % peer)


def rules(policies, dns, v6):
    """iptables-restore input for one address family."""
    out = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]"]
    body = ["-A OUTPUT -o lo -j ACCEPT", "-A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
            "-A INPUT -i lo -j ACCEPT", "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT"]
    n = 0
    for pol in policies:
        for rule in pol["spec"].get("egress") or []:
            ports = rule.get("ports") or [None]
            for peer in rule.get("to") or [{"ipBlock": {"cidr": "::/0" if v6 else "0.0.0.0/0"}}]:
                for cidr, except_ in peer_blocks(peer, dns):
                    if (":" in cidr) != v6:
                        continue
                    n += 1
                    chain = "PEER%d" % n
                    out.append(":%s - [0:0]" % chain)
                    body += ["-A %s -d %s -j RETURN" % (chain, e) for e in except_]
                    for p in ports:
                        match = ""
                        if p is not None:
                            match = " -p %s" % p.get("protocol", "TCP").lower()
                            if "port" in p:
                                match += " --dport %s" % p["port"] + (":%d" % p["endPort"] if "endPort" in p else "")
                        body.append("-A %s -d %s%s -j ACCEPT" % (chain, cidr, match))
                    body.append("-A OUTPUT -j %s" % chain)
    reject = "icmp6-adm-prohibited" if v6 else "icmp-admin-prohibited"
    body += ["-A OUTPUT -j REJECT --reject-with " + reject, "-A INPUT -j DROP"]
    return "\n".join(out + body + ["COMMIT", ""])


def apply(pid, policies):
    """Puts the policies' rules into the network namespace of host process `pid`; raises when it cannot."""
    ns = ["nsenter", "--net=/proc/%d/ns/net" % pid]
    dns = [r for r in resolvers(pid) if not r.startswith("127.") and r != "::1"]
    for v6, tool in ((False, "iptables-restore"), (True, "ip6tables-restore")):
        if v6 and subprocess.run(ns + ["cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"],
                                 capture_output=True, text=True).stdout.strip() == "1":
            continue
        r = subprocess.run(ns + [tool, "-w", "5"], input=rules(policies, dns, v6), capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("%s in the pod's network namespace: %s" % (tool, r.stderr.strip()))
