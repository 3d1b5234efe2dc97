//! Two of our servers on one Redis (started here on a free loopback port), a raw client on each.
//! Skipped, saying why, without a `redis-server` binary (failed instead with `REQUIRE_ALL=1`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{eventually, text, Client, Node, Redis, READY};
use serde_json::json;
use socketio::proto::Data;
use socketio::runtime::{FetchedSocket, SocketIo, SocketIoConfig};
use socketio_redis::{RedisAdapter, RedisAdapterConfig};
use std::time::Duration;

/// How long a negative check listens for what must not come. A late arrival would make such a
/// check pass wrongly, never fail; positive checks wait up to [`READY`] and end when the event
/// comes.
const QUIET: Duration = Duration::from_millis(300);
/// The timeout of requests that a node is meant to miss: the answers that should come must
/// come within it (through Redis, on a possibly loaded machine), so it is not tight, and the
/// test spends all of it.
const MISSED: Duration = Duration::from_secs(3);

async fn two_nodes() -> Option<(Redis, Node, Node)> {
    let redis = Redis::start()?;
    let a = Node::start(&redis).await;
    let b = Node::start(&redis).await;
    Some((redis, a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_broadcast_reaches_a_member_on_the_other_node() {
    let Some((_redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut on_a = Client::connect(a.port).await;
    let mut on_b = Client::connect(b.port).await;
    let mut outsider = Client::connect(b.port).await;
    on_a.join("news").await;
    on_b.join("news").await;

    let bin = bytes::Bytes::from_static(&[0, 1, 2, 255]);
    a.io.of("/")
        .to("news")
        .emit(
            "headline",
            vec![
                text("hello"),
                Data::Binary(bin.clone()),
                Data::from(json!({"n": 1})),
            ],
        )
        .unwrap();

    let got = on_b
        .expect("headline", READY)
        .await
        .expect("B's member got it");
    assert_eq!(
        got.args,
        vec![
            text("hello"),
            Data::Binary(bin),
            Data::from(json!({"n": 1}))
        ]
    );
    assert!(
        on_a.expect("headline", READY).await.is_some(),
        "A's member too"
    );
    assert!(
        outsider.expect("headline", QUIET).await.is_none(),
        "not a member: nothing"
    );
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn except_and_local_are_honoured_across_nodes() {
    let Some((_redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut b1 = Client::connect(b.port).await;
    let mut b2 = Client::connect(b.port).await;
    b1.join("vip").await;

    // Everyone but the members of `vip` (and a socket id excluded by its room).
    a.io.of("/")
        .broadcast()
        .except("vip")
        .emit("all-but-vip", ())
        .unwrap();
    assert!(b2.expect("all-but-vip", READY).await.is_some());
    assert!(b1.expect("all-but-vip", QUIET).await.is_none());

    a.io.of("/")
        .broadcast()
        .except(&b2.sid)
        .emit("all-but-b2", ())
        .unwrap();
    assert!(b1.expect("all-but-b2", READY).await.is_some());
    assert!(b2.expect("all-but-b2", QUIET).await.is_none());

    // local(): the other node is not told.
    a.io.of("/")
        .broadcast()
        .local()
        .emit("local-only", ())
        .unwrap();
    assert!(b1.expect("local-only", QUIET).await.is_none());
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_sockets_spans_nodes_and_times_out() {
    let Some((redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    let b2 = Client::connect(b.port).await;
    a1.join("team").await;
    b1.join("team").await;

    let fetched =
        a.io.of("/")
            .to("team")
            .timeout(READY)
            .fetch_all_sockets()
            .await
            .unwrap();
    let mut ids: Vec<&str> = fetched.iter().map(FetchedSocket::id).collect();
    ids.sort();
    let mut want = vec![a1.sid.as_str(), b1.sid.as_str()];
    want.sort();
    assert_eq!(ids, want);
    let remote = fetched.iter().find(|s| !s.is_local()).unwrap();
    assert!(remote.rooms().iter().any(|r| &**r == "team"));
    let FetchedSocket::Remote(remote) = remote else {
        unreachable!()
    };
    assert!(remote.info.handshake["headers"].is_object());

    // All sockets, every node.
    let all = a.io.of("/").broadcast().fetch_all_sockets().await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().any(|s| s.id() == b2.sid));

    // A remote socket can be acted on through the cluster.
    remote.emit("direct", "to you").unwrap();
    assert_eq!(
        b1.expect("direct", READY).await.unwrap().args,
        vec![text("to you")]
    );

    // A third subscriber that never answers: the fetch times out instead of hanging.
    let silent = socketio_redis::redis::Client::open(redis.url()).unwrap();
    let mut pubsub = silent.get_async_pubsub().await.unwrap();
    pubsub.subscribe("socket.io-request#/#").await.unwrap();
    let everyone = a.io.of("/").broadcast().timeout(MISSED);
    let err = tokio::time::timeout(READY, everyone.fetch_all_sockets())
        .await
        .expect("ends at its timeout")
        .unwrap_err();
    assert_eq!(
        err,
        socketio::runtime::ClusterError::Timeout {
            answered: 1,
            expected: 2
        }
    );
    drop(pubsub);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_and_join_reach_the_other_node() {
    let Some((_redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut b1 = Client::connect(b.port).await;
    let mut b2 = Client::connect(b.port).await;
    b1.join("doomed").await;

    // Remote join: every socket of B joins `joined`, then a broadcast to it reaches them.
    a.io.of("/").broadcast().join("joined");
    let joined = b.io.of("/").to("joined");
    eventually(
        || joined.fetch_sockets().len() == 2,
        || format!("{} of B's sockets joined", joined.fetch_sockets().len()),
    )
    .await;
    a.io.of("/").to("joined").emit("welcome", ()).unwrap();
    assert!(b1.expect("welcome", READY).await.is_some());
    assert!(b2.expect("welcome", READY).await.is_some());

    a.io.of("/").to("doomed").disconnect_sockets(false);
    assert!(
        b1.wait_disconnected(READY).await,
        "B's member of `doomed` was disconnected"
    );
    b2.pump(QUIET).await;
    assert!(!b2.disconnected, "the other socket stays");
    eventually(
        || b.io.of("/").socket_count() == 1,
        || format!("B has {} sockets", b.io.of("/").socket_count()),
    )
    .await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_ignores_its_own_messages() {
    let Some((_redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    for i in 0..3 {
        a.io.of("/").broadcast().emit("tick", json!(i)).unwrap();
    }
    // Exactly once each: delivered locally, and the copy that comes back from Redis ignored.
    a1.expect_n("tick", 3, READY).await;
    b1.expect_n("tick", 3, READY).await;
    eventually(
        || a.adapter.metrics().own_ignored >= 3,
        || format!("{:?}", a.adapter.metrics()),
    )
    .await;
    let extra = a1.collect("tick", QUIET).await;
    assert!(extra.is_empty(), "{extra:?}");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_and_server_side_emits_across_nodes() {
    let Some((_redis, a, b)) = two_nodes().await else {
        return;
    };
    b.io.of("/").on_server_side_emit("hello", |args, ack| {
        if let Some(ack) = ack {
            ack.send(json!({"b got": args}));
        }
    });
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;
    let mut b2 = Client::connect(b.port).await;
    a1.ack_with = Some(json!("from a1"));
    b1.ack_with = Some(json!("from b1"));
    b2.ack_with = None; // never answers
    let ns = a.io.of("/");
    let op = ns.broadcast().timeout(MISSED);
    let asking = tokio::spawn(async move { op.emit_with_ack("ask", "q").await });
    // The clients answer while they read, so they read until the answers are in.
    while !asking.is_finished() {
        let tick = Duration::from_millis(20);
        tokio::join!(a1.pump(tick), b1.pump(tick), b2.pump(tick));
    }
    let results = asking.await.unwrap();
    let mut answers: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|p| p.args()[0].deserialize::<String>().unwrap())
        .collect();
    answers.sort();
    assert_eq!(answers, ["from a1", "from b1"]);
    assert_eq!(results.len(), 3, "b2 counted, as missing");
    assert!(results.iter().any(|(id, r)| id.is_empty() && r.is_err()));

    let answers = ns
        .server_side_emit_with_ack("hello", &[json!(1)], READY)
        .await
        .unwrap();
    assert_eq!(answers, vec![json!({"b got": [1]})]);
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_keeps_local_service_and_recovers() {
    let Some((mut redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut a1 = Client::connect(a.port).await;
    let mut b1 = Client::connect(b.port).await;

    redis.kill();
    // Both nodes noticed the loss, so what `wait_subscribed` says below is about the new
    // subscription, not the old one.
    for node in [&a, &b] {
        eventually(
            || node.adapter.metrics().reconnects >= 1,
            || format!("{:?}", node.adapter.metrics()),
        )
        .await;
    }
    // Local delivery goes on; what could not reach Redis is counted.
    for _ in 0..3 {
        a.io.of("/").broadcast().emit("during", ()).unwrap();
    }
    a1.expect_n("during", 3, READY).await;
    eventually(
        || a.adapter.metrics().send_failures > 0,
        || format!("{:?}", a.adapter.metrics()),
    )
    .await;
    assert!(b1.collect("during", QUIET).await.is_empty());
    let err =
        a.io.of("/")
            .broadcast()
            .fetch_all_sockets()
            .await
            .unwrap_err();
    assert!(
        matches!(err, socketio::runtime::ClusterError::Unavailable(_)),
        "{err}"
    );

    redis.restart();
    assert!(a.adapter.wait_subscribed(READY).await);
    assert!(b.adapter.wait_subscribed(READY).await);
    // The publishing connection comes back on the next send; retry until B sees one.
    let deadline = std::time::Instant::now() + READY;
    loop {
        a.io.of("/").broadcast().emit("after", ()).unwrap();
        if b1
            .expect("after", Duration::from_millis(200))
            .await
            .is_some()
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            a.adapter.metrics()
        );
    }
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junk_on_the_channels_is_counted_and_ignored() {
    let Some((redis, a, b)) = two_nodes().await else {
        return;
    };
    let mut b1 = Client::connect(b.port).await;
    let client = socketio_redis::redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let junk: [&[u8]; 5] = [
        b"",
        b"{",
        b"\x93\xa1x\xc1",
        b"{\"type\":99}",
        &[0xdd, 0xff, 0xff, 0xff, 0xff],
    ];
    for channel in [
        "socket.io#/#",
        "socket.io#/#room#",
        "socket.io-request#/#",
        "socket.io-response#/#",
    ] {
        for j in junk {
            let _: i64 = socketio_redis::redis::cmd("PUBLISH")
                .arg(channel)
                .arg(j)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
    }
    a.io.of("/").broadcast().emit("still-fine", ()).unwrap();
    assert!(b1.expect("still-fine", READY).await.is_some());
    assert!(
        b.adapter.metrics().malformed >= 10,
        "{:?}",
        b.adapter.metrics()
    );
    a.stop().await;
    b.stop().await;
}

/// A subscription completed before anyone asked still counts: `wait_subscribed` called after
/// the fact answers at once (the state used to be dropped when nobody was waiting for it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_subscribed_sees_a_subscription_made_before_it_was_called() {
    let Some(redis) = Redis::start() else {
        return;
    };
    let io = SocketIo::new(SocketIoConfig::default());
    let client = socketio_redis::redis::Client::open(redis.url()).unwrap();
    let adapter = RedisAdapter::new(client.clone(), RedisAdapterConfig::default());
    io.attach_cluster(adapter.clone());
    // Redis's own word that the node is subscribed, while nobody waits on the adapter.
    common::wait_numsub(&client, "socket.io-request#/#", 1).await;
    assert!(
        adapter.wait_subscribed(common::READY).await,
        "{:?}",
        adapter.metrics()
    );
}
