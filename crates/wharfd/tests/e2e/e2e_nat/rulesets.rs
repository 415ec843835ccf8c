//! The nftables rulesets of the topologies, one function each. Routers
//! name their interfaces `lan` (the private side) and `wan` (the outside).
//!
//! None of them assigns conntrack's FTP helper (`ct helper "ftp"`), and
//! since Linux 4.7 no helper is assigned automatically, so `related` never
//! covers an FTP data connection: passive ports are open only where a rule
//! opens them. A helper could not read an FTPS control connection anyway.

/// A router doing DNAT of port 21 and the passive range `ports`
/// (`50000-50009`) on its outside address to `server`, forwarding nothing
/// else inwards; the server's own connections (active, the default data
/// port) leave masqueraded behind the outside address, as a cloud VM's
/// leave behind its public IP.
pub(super) fn server_dnat(server: &str, ports: &str) -> String {
    format!(
        r#"table ip wharf {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
        iifname "wan" tcp dport {{ 21, {ports} }} dnat to {server}
    }}
    chain forward {{
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "lan" oifname "wan" accept
        iifname "wan" ct status dnat accept
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" masquerade
    }}
}}
"#
    )
}

/// A host firewall that admits port 21 and nothing else inbound
/// (stateful: replies to what the host opened are let in); outbound is
/// open, so the server's own connections (the default data port, active)
/// leave and their answers come back as `established`.
pub(super) fn control_port_only() -> String {
    r#"table inet wharf {
    chain input {
        type filter hook input priority filter; policy drop;
        iifname "lo" accept
        ct state established,related accept
        tcp dport 21 accept
    }
}
"#
    .to_owned()
}

/// A home router: Linux MASQUERADE of the LAN behind its outside address,
/// nothing inbound but answers. Conntrack matches exact 5-tuples
/// (port-restricted filtering), so a SYN from the server's port 20 to the
/// client's mapped port belongs to no connection: the router's input chain
/// drops it (no RST: the server learns only from its timeout).
pub(super) fn masquerade() -> String {
    r#"table ip wharf {
    chain input {
        type filter hook input priority filter; policy drop;
        ct state established,related accept
        iifname "lan" accept
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "lan" oifname "wan" accept
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" masquerade
    }
}
"#
    .to_owned()
}

/// An address-restricted ("restricted cone") NAT: like [`masquerade`], but
/// once a LAN host has opened a connection to a remote address from a
/// mapped port, any port of that address may connect back to that mapped
/// port, and reaches the LAN host that owns it, on the same port.
///
/// Two dynamic tables, filled by the first packet of each outbound
/// connection after MASQUERADE has mapped it (a filter chain in
/// postrouting after `srcnat` sees the translated source port):
/// - `owners`: mapped port -> the LAN host (conntrack's original source);
/// - `contacted`: mapped port . remote address, the pairs allowed back in.
///
/// An inbound connection to a mapped port from a contacted address is
/// DNATed to its owner, keeping the port (MASQUERADE keeps a source port
/// that is free, which a LAN of one client always finds), and forwarded.
/// Anything else inbound is dropped as in [`masquerade`].
pub(super) fn address_restricted() -> String {
    r#"table ip wharf {
    set contacted {
        type inet_service . ipv4_addr
        flags dynamic, timeout
        timeout 10m
    }
    map owners {
        type inet_service : ipv4_addr
        flags dynamic, timeout
        timeout 10m
    }
    chain input {
        type filter hook input priority filter; policy drop;
        ct state established,related accept
        iifname "lan" accept
    }
    chain forward {
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        iifname "lan" oifname "wan" accept
        iifname "wan" oifname "lan" ct status dnat accept
    }
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        iifname "wan" tcp dport . ip saddr @contacted dnat to tcp dport map @owners
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "wan" masquerade
    }
    chain remember {
        type filter hook postrouting priority srcnat + 10; policy accept;
        oifname "wan" ct state new meta l4proto tcp update @owners { tcp sport : ct original ip saddr } update @contacted { tcp sport . ip daddr }
    }
}
"#
    .to_owned()
}

/// A one-to-one NAT: every port of `public` (an address of the router's
/// outside) goes to `server`, and the server's own connections leave as
/// `public`. Clients of the server's network `lan` that dial `public` are
/// turned back (hairpin) and masqueraded behind the router's LAN address,
/// so the server's replies return through the router instead of straight
/// to them. The hairpin is matched by addresses, not by `iifname "lan"`:
/// where `br_netfilter` is loaded, a packet routed in from the bridge
/// carries its bridge port as input interface.
pub(super) fn one_to_one(public: &str, server: &str, lan: &str) -> String {
    format!(
        r#"table ip wharf {{
    chain prerouting {{
        type nat hook prerouting priority dstnat; policy accept;
        ip daddr {public} dnat to {server}
    }}
    chain postrouting {{
        type nat hook postrouting priority srcnat; policy accept;
        ip saddr {server} oifname "wan" snat to {public}
        ip saddr {lan} ip daddr {server} ct status dnat masquerade
    }}
}}
"#
    )
}
