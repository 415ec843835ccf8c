//! PORT, EPRT, PASV, EPSV (and EPSV ALL), the default data port, MODE B's
//! kept connection, and PROT P on data connections.

use crate::testkit::{CLIENT_IP, Harness, SERVER, Setup, text};

#[tokio::test]
async fn active_mode_connects_to_the_client_and_refuses_a_bounce() {
    let (harness, _) = transcript!(fs = [("f", "active")];
        "USER a" => 331,
        "PASS s" => 230,
        // Another host than the client: the FTP bounce attack (RFC 2577).
        "PORT 198,51,100,7,200,10" => 504,
        // A well-known port of the client itself.
        "EPRT |1|192.0.2.10|25|" => 504,
        "PORT 192,0,2,10,200,10" => 200,
        "RETR f" => [150, 226] >> "active",
        "EPRT |1|192.0.2.10|51211|" => 200,
        "STOR g" << "up" => [150, 226],
    );
    assert_eq!(harness.file("g").await, b"up");
    let connects = harness.ports.connects.lock().unwrap().clone();
    let targets: Vec<String> = connects.iter().map(|(_, t)| t.to_string()).collect();
    assert_eq!(targets, ["192.0.2.10:51210", "192.0.2.10:51211"]);
}

#[tokio::test]
async fn the_default_data_port_connects_from_port_20_style_source() {
    let (harness, client) = transcript!(fs = [("f", "default")];
        "USER a" => 331,
        "PASS s" => 230,
        "RETR f" => [150, 226] >> "default",
    );
    let connects = harness.ports.connects.lock().unwrap().clone();
    // RFC 959 3.2: from the control port minus one, to the client's
    // control address.
    let source = std::net::SocketAddr::new(SERVER.ip(), SERVER.port() - 1);
    assert_eq!(connects, [(Some(source), client.peer)]);
}

#[tokio::test]
async fn active_mode_can_connect_from_the_default_data_port() {
    let (harness, client) = transcript!(fs = [("f", "active")],
        options = |o| o.active_from_data_port = true;
        "USER a" => 331,
        "PASS s" => 230,
        "PORT 192,0,2,10,200,10" => 200,
        "RETR f" => [150, 226] >> "active",
        "EPRT |1|192.0.2.10|51211|" => 200,
        "RETR f" => [150, 226] >> "active",
    );
    let connects = harness.ports.connects.lock().unwrap().clone();
    // vsftpd's connect_from_port_20: from the control port minus one, to
    // the address PORT and EPRT named.
    let source = std::net::SocketAddr::new(SERVER.ip(), SERVER.port() - 1);
    let target = |port: u16| std::net::SocketAddr::new(client.peer.ip(), port);
    assert_eq!(
        connects,
        [(Some(source), target(51210)), (Some(source), target(51211))]
    );
}

#[tokio::test]
async fn epsv_all_refuses_every_other_data_setup() {
    transcript!(fs = [("f", "x")];
        "USER a" => 331,
        "PASS s" => 230,
        "EPSV ALL" => 200,
        "PASV" => 503,
        "PORT 192,0,2,10,200,10" => 503,
        "EPRT |1|192.0.2.10|51211|" => 503,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "x",
    );
}

#[tokio::test]
async fn a_passive_connection_from_a_stranger_is_refused() {
    let mut setup = Setup::default();
    setup.fs([("f", "secret")]);
    setup.options(|o| o.data_connect_timeout = std::time::Duration::from_millis(300));
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    // Sent raw: the client's own dial at the 229 must not happen.
    client.send_raw(b"EPSV\r\n").await;
    let reply = client.reply().await;
    let port = wharf_proto::extended::parse_epsv_reply(reply.lines()[0].as_bytes()).unwrap();
    // The stranger dials first; the client's own connection never comes.
    let stranger = "198.51.100.7:4000".parse().unwrap();
    let mut theirs = harness.ports.dial(port, stranger).unwrap();
    client.send_raw(b"RETR f\r\n").await;
    assert_eq!(client.reply().await.code().get(), 150);
    assert_eq!(client.reply().await.code().get(), 425);
    let mut got = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut theirs, &mut got)
        .await
        .unwrap();
    assert!(got.is_empty(), "the stranger got {got:?}");
    assert_ne!(stranger.ip(), CLIENT_IP);
}

#[tokio::test]
async fn mode_b_keeps_its_connection_between_transfers() {
    let (harness, _) = transcript!(fs = [("f", "blocks")];
        "USER a" => 331,
        "PASS s" => 230,
        "MODE B" => 200,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "blocks",
        // No new EPSV: the same connection carries the next file.
        "STOR g" << "again" => [150, 226],
        "RETR g" => [150, 226] >> "again",
    );
    assert_eq!(harness.file("g").await, b"again");
}

#[tokio::test]
async fn prot_p_data_over_tls_resumes_the_control_session() {
    let (harness, _) = transcript!(fs = [("f", "private")], tls = true;
        "AUTH TLS" => 234,
        "USER a" => 331,
        "PASS s" => 230,
        "PROT P" => 503,
        "PBSZ 0" => 200,
        "PROT P" => 200,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "private",
        "PASV" => 227,
        "STOR g" << "sealed" => [150, 226],
    );
    assert_eq!(harness.file("g").await, b"sealed");
}

#[tokio::test]
async fn pasv_and_epsv_replies_name_the_address_and_port() {
    let harness = Harness::start(Setup::default()).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    let pasv = client.cmd("PASV").await;
    assert_eq!(pasv.code().get(), 227);
    let offered = wharf_proto::host_port::parse_pasv_reply(pasv.lines()[0].as_bytes()).unwrap();
    // The control connection's own address, without NAT settings.
    assert_eq!(std::net::IpAddr::V4(*offered.ip()), SERVER.ip());
    let epsv = client.cmd("EPSV").await;
    assert_eq!(epsv.code().get(), 229);
    let text = crate::testkit::text(&epsv);
    assert!(
        text.starts_with("Entering Extended Passive Mode (|||"),
        "{text}"
    );
    // Each offer is a new port.
    let port = wharf_proto::extended::parse_epsv_reply(epsv.lines()[0].as_bytes()).unwrap();
    assert_ne!(port, offered.port());
    // The earlier offer was dropped: nobody listens there any more.
    assert!(harness.ports.dial(offered.port(), client.peer).is_err());
}

#[tokio::test]
async fn the_announced_address_follows_the_client_s_network() {
    let mut setup = Setup::default();
    setup.options(|o| {
        o.public_address = crate::PublicAddress::Ip("203.0.113.5".parse().unwrap());
        o.public_address_overrides = vec![(
            "192.0.2.0/24".parse().unwrap(),
            crate::PublicAddress::Ip("192.0.2.99".parse().unwrap()),
        )];
    });
    let harness = Harness::start(setup).await;
    for (from, announced) in [
        ("192.0.2.10", "192.0.2.99"),
        ("198.51.100.4", "203.0.113.5"),
    ] {
        let mut client = harness.connect_from(from.parse().unwrap()).await;
        client.login("a").await;
        let pasv = client.cmd("PASV").await;
        let offered = wharf_proto::host_port::parse_pasv_reply(pasv.lines()[0].as_bytes()).unwrap();
        assert_eq!(offered.ip().to_string(), announced, "from {from}");
    }
}

#[tokio::test]
async fn epsv_takes_only_the_control_connection_s_protocol() {
    transcript!(fs = [("f", "x")];
        "USER a" => 331,
        "PASS s" => 230,
        // RFC 2428 3: 522 names the protocols the server would take.
        "EPSV 2" => 522,
        "EPSV 3" => 522,
        "EPSV x" => 501,
        "EPRT |3|192.0.2.10|5000|" => 522,
        "EPRT |1|192.0.2.10|" => 501,
        "PORT 192,0,2,10,200" => 501,
        "PORT 192,0,2,10,300,1" => 501,
        "EPSV 1" => 229,
        "RETR f" => [150, 226] >> "x",
    );
}

#[tokio::test]
async fn epsv_all_holds_until_rein() {
    transcript!(fs = [("f", "x")];
        "USER a" => 331,
        "PASS s" => 230,
        "EPSV ALL" => 200,
        "PASV" => 503,
        "EPSV 1" => 229,
        "RETR f" => [150, 226] >> "x",
        "PORT 192,0,2,10,200,10" => 503,
        "REIN" => 220,
        "USER a" => 331,
        "PASS s" => 230,
        "PASV" => 227,
        "RETR f" => [150, 226] >> "x",
    );
}

#[tokio::test]
async fn any_active_address_when_the_server_allows_it() {
    let (harness, _client) = transcript!(fs = [("f", "far")], options = |o| o.active_any_address = true;
        "USER a" => 331,
        "PASS s" => 230,
        "PORT 198,51,100,7,0,25" => 200,
        "RETR f" => [150, 226] >> "far",
    );
    let connects = harness.ports.connects.lock().unwrap().clone();
    assert_eq!(connects[0].1.to_string(), "198.51.100.7:25");
}

#[tokio::test]
async fn a_port_nobody_listens_at_gets_150_then_425() {
    let mut setup = Setup::default();
    setup.fs([("f", "x")]);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    client.login("a").await;
    // Sent raw: the client does not listen at that port.
    client.send_raw(b"PORT 192,0,2,10,200,10\r\n").await;
    assert_eq!(client.reply().await.code().get(), 200);
    client.send_raw(b"RETR f\r\n").await;
    assert_eq!(client.reply().await.code().get(), 150);
    assert_eq!(client.reply().await.code().get(), 425);
    // The PORT was used up; the default data port is next.
    assert_eq!(client.exchange("RETR f", None).await.codes(), [150, 226]);
}

#[tokio::test]
async fn without_the_default_data_port_a_transfer_needs_a_setup() {
    transcript!(fs = [("f", "x")], options = |o| o.default_data_port = false;
        "USER a" => 331,
        "PASS s" => 230,
        "RETR f" => 425,
        "LIST" => 425,
        "STOR g" << "x" => 425,
        "EPSV" => 229,
        "RETR f" => [150, 226] >> "x",
        // Each setup serves one transfer.
        "RETR f" => 425,
        // And ABOR drops one not used yet.
        "PASV" => 227,
        "ABOR" => 226,
        "RETR f" => 425,
    );
}

/// Behind a balancer without per-node ranges: EPSV off, so clients fall
/// back to PASV, which names the node's own public address.
#[tokio::test]
async fn epsv_off_is_refused_and_left_out_of_feat() {
    let mut setup = Setup::default();
    setup.fs([("f", "data")]);
    setup.options(|o| o.epsv = false);
    let harness = Harness::start(setup).await;
    let mut client = harness.connect().await;
    let feat = text(&client.cmd("FEAT").await);
    assert!(!feat.contains(" EPSV"), "{feat}");
    assert!(feat.contains(" EPRT"), "{feat}");
    client.login("a").await;
    for line in ["EPSV", "EPSV 1", "EPSV ALL"] {
        assert_eq!(client.cmd(line).await.code().get(), 502, "{line}");
    }
    assert_eq!(client.cmd("PASV").await.code().get(), 227);
    let got = client.exchange("RETR f", None).await;
    assert_eq!(got.codes(), [150, 226]);
    assert_eq!(got.data, b"data");
}
