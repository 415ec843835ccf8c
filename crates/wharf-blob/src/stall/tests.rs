use std::time::{Duration, Instant};

use futures_util::StreamExt;
use object_store::client::{HttpClient, HttpErrorKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

const STALL: Duration = Duration::from_millis(300);

/// The client as wharf-blob builds it, with a short stall bound.
fn client() -> HttpClient {
    let connector = crate::connector::RingConnector {
        connect_timeout: Duration::from_secs(5),
        request_timeout: None,
        stall_timeout: STALL,
        roots: Vec::new(),
    };
    connector.guarded(connector.client().unwrap())
}

/// A loopback server that reads each request's head, then runs `answer`
/// on the connection (and keeps it open).
async fn server(answer: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).await.unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let _ = conn.write_all(answer).await;
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    format!("http://{addr}/")
}

fn get(url: &str) -> HttpRequest {
    http::Request::get(url)
        .body(HttpRequestBody::empty())
        .unwrap()
}

#[tokio::test]
async fn a_store_that_never_answers_fails_within_the_stall_timeout() {
    let url = server(b"").await;
    let started = Instant::now();
    let err = client().execute(get(&url)).await.unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("stall timeout"), "{err}");
    let took = started.elapsed();
    assert!(took >= STALL && took < STALL * 4, "{took:?}");
}

#[tokio::test]
async fn a_body_that_stops_coming_fails_within_the_stall_timeout() {
    let url = server(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b").await;
    let response = client().execute(get(&url)).await.unwrap();
    let mut body = response.into_body().bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert_eq!(&first[..], b"only ten b");
    // A reader that pauses is not the store's stall.
    tokio::time::sleep(STALL * 2).await;
    let started = Instant::now();
    let err = body.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::Timeout, "{err}");
    let took = started.elapsed();
    assert!(took >= STALL && took < STALL * 4, "{took:?}");
}

#[tokio::test]
async fn a_refused_connection_says_so() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client()
        .execute(get(&format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::Connect, "{err}");
    assert!(err.to_string().contains("Connection refused"), "{err}");
}

#[test]
fn a_large_body_goes_out_in_pieces() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let last: LastMove = Arc::new(Mutex::new(tokio::time::Instant::now()));
        let mut body = Pieces {
            inner: HttpRequestBody::from(vec![7u8; 3 * PIECE + 1]),
            pending: Bytes::new(),
            last,
        };
        let mut sizes = Vec::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await
        {
            sizes.push(frame.unwrap().into_data().unwrap().len());
        }
        assert_eq!(sizes, [PIECE, PIECE, PIECE, 1]);
    });
}

/// A download that streams steadily for longer than any fixed total would
/// allow (here 8 stall bounds) completes: only silence ends a request.
#[tokio::test]
async fn a_slow_but_steady_body_is_never_cut() {
    const PIECES: usize = 16;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut conn, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).await.unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {PIECES}\r\n\r\n");
        conn.write_all(head.as_bytes()).await.unwrap();
        for _ in 0..PIECES {
            tokio::time::sleep(STALL / 2).await;
            conn.write_all(b"x").await.unwrap();
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let started = Instant::now();
    let response = client()
        .execute(get(&format!("http://{addr}/")))
        .await
        .unwrap();
    let mut body = response.into_body().bytes_stream();
    let mut got = 0;
    while let Some(piece) = body.next().await {
        got += piece.expect("a steady body is not a stall").len();
    }
    assert_eq!(got, PIECES);
    assert!(started.elapsed() >= STALL * 8, "{:?}", started.elapsed());
}

#[test]
fn a_stall_bound_of_centuries_does_not_overflow() {
    let now = tokio::time::Instant::now();
    assert!(after(now, Duration::MAX) > now);
    assert_eq!(after(now, STALL), now + STALL);
}

#[test]
fn a_body_with_bytes_pending_hints_its_whole_size() {
    let body = Pieces {
        inner: HttpRequestBody::from(Bytes::from_static(b"rest")),
        pending: Bytes::from_static(b"first"),
        last: Arc::new(std::sync::Mutex::new(tokio::time::Instant::now())),
    };
    let hint = http_body::Body::size_hint(&body);
    assert_eq!((hint.lower(), hint.upper()), (9, Some(9)));
}
