//! Watch mode's HTTP/1.1 responder, hand-written on tokio's TcpListener:
//! four fixed pages need no HTTP stack (hyper's server would cost binary
//! size for features never used). GET only, one request per connection
//! (`Connection: close`), the request head bounded in size, every connection
//! bounded in time and in number.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

use crate::report::metrics::CONTENT_TYPE as METRICS_TYPE;

/// What the server answers with: the latest scrape and the last complete
/// run's reports, rendered once per run, never per request.
#[derive(Debug, Clone, Default)]
pub struct Pages {
    pub metrics: Arc<Vec<u8>>,
    /// None until a run completes.
    pub report_json: Option<Arc<Vec<u8>>>,
    pub junit: Option<Arc<Vec<u8>>>,
}

/// A GET with its headers fits easily; more is no scraper.
pub const MAX_HEAD: usize = 8 * 1024;
/// From accept to the last byte written: a slow or silent client is dropped.
pub const CONNECTION_DEADLINE: Duration = Duration::from_secs(5);
/// Connections served at once; more are closed unanswered.
pub const MAX_CONNECTIONS: usize = 32;

/// The request head as read from the connection.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// Up to and including the blank line.
    Complete(Vec<u8>),
    /// Over MAX_HEAD without a blank line.
    TooLarge,
    /// The client closed before the blank line.
    Cut(Vec<u8>),
}

/// The whole response to a request head. Pure.
pub fn respond(head: &Head, pages: &Pages) -> Vec<u8> {
    let head = match head {
        Head::Complete(h) => h,
        Head::TooLarge => return response(431, "text/plain", b"request head too large\n", &[]),
        Head::Cut(_) => return response(400, "text/plain", b"incomplete request\n", &[]),
    };
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.trim_end_matches('\r').split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return response(400, "text/plain", b"malformed request line\n", &[]);
    };
    if !version.starts_with("HTTP/1.") {
        return response(505, "text/plain", b"HTTP/1.x only\n", &[]);
    }
    if method != "GET" {
        return response(405, "text/plain", b"GET only\n", &[("Allow", "GET")]);
    }
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let not_yet = || {
        response(
            503,
            "text/plain",
            b"no run has completed yet\n",
            &[("Retry-After", "5")],
        )
    };
    match path {
        "/metrics" => response(200, METRICS_TYPE, &pages.metrics, &[]),
        "/healthz" => response(200, "text/plain", b"ok\n", &[]),
        "/report.json" => match &pages.report_json {
            Some(body) => response(200, "application/json", body, &[]),
            None => not_yet(),
        },
        "/junit.xml" => match &pages.junit {
            Some(body) => response(200, "application/xml", body, &[]),
            None => not_yet(),
        },
        _ => response(404, "text/plain", b"not found\n", &[]),
    }
}

fn response(status: u16, content_type: &str, body: &[u8], extra: &[(&str, &str)]) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "HTTP Version Not Supported",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Accepts until the task is dropped.
pub async fn serve(listener: TcpListener, pages: watch::Receiver<Arc<Pages>>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of descriptors, or a connection reset before accept: wait
            // a moment rather than spin.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            continue;
        };
        let pages = pages.borrow().clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(CONNECTION_DEADLINE, connection(stream, &pages)).await;
            drop(slot);
        });
    }
}

async fn connection(mut stream: TcpStream, pages: &Pages) -> std::io::Result<()> {
    let head = read_head(&mut stream).await?;
    if head == Head::Cut(Vec::new()) {
        // Connected and closed (a port probe): nothing to answer.
        return Ok(());
    }
    stream.write_all(&respond(&head, pages)).await?;
    stream.shutdown().await
}

async fn read_head(stream: &mut TcpStream) -> std::io::Result<Head> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(Head::Cut(buf));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = head_end(&buf) {
            buf.truncate(end);
            return Ok(Head::Complete(buf));
        }
        if buf.len() > MAX_HEAD {
            return Ok(Head::TooLarge);
        }
    }
}

/// Where the head ends: after the first blank line (CRLF, or bare LF as
/// RFC 9112 allows a recipient to accept).
fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(complete: bool) -> Pages {
        Pages {
            metrics: Arc::new(b"irsa_verify_runs_total 1\n".to_vec()),
            report_json: complete.then(|| Arc::new(b"{}\n".to_vec())),
            junit: complete.then(|| Arc::new(b"<testsuites/>\n".to_vec())),
        }
    }

    fn get(request: &str, pages: &Pages) -> (String, String) {
        let out = respond(&Head::Complete(request.as_bytes().to_vec()), pages);
        let out = String::from_utf8(out).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        (head.to_owned(), body.to_owned())
    }

    #[test]
    fn each_path_its_page_and_every_answer_closes() {
        let p = pages(true);
        let (head, body) = get("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &p);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
        assert!(head.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
        assert!(head.contains(&format!("Content-Length: {}\r\n", body.len())));
        assert!(head.contains("Connection: close"));
        assert_eq!(body, "irsa_verify_runs_total 1\n");
        let (head, _) = get("GET /metrics?x=1 HTTP/1.0\r\n\r\n", &p);
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "a query is ignored: {head}"
        );
        let (head, body) = get("GET /healthz HTTP/1.1\r\n\r\n", &p);
        assert!(head.starts_with("HTTP/1.1 200") && body == "ok\n");
        let (head, body) = get("GET /report.json HTTP/1.1\r\n\r\n", &p);
        assert!(head.contains("application/json") && body == "{}\n");
        let (head, body) = get("GET /junit.xml HTTP/1.1\r\n\r\n", &p);
        assert!(head.contains("application/xml") && body == "<testsuites/>\n");
        let (head, _) = get("GET /other HTTP/1.1\r\n\r\n", &p);
        assert!(head.starts_with("HTTP/1.1 404 Not Found"), "{head}");
        let (head, _) = get("GET / HTTP/1.1\n\n", &p);
        assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    }

    #[test]
    fn before_a_complete_run_the_reports_are_unavailable() {
        let p = pages(false);
        for path in ["/report.json", "/junit.xml"] {
            let (head, _) = get(&format!("GET {path} HTTP/1.1\r\n\r\n"), &p);
            assert!(head.starts_with("HTTP/1.1 503"), "{head}");
            assert!(head.contains("Retry-After: 5"));
        }
        let (head, _) = get("GET /metrics HTTP/1.1\r\n\r\n", &p);
        assert!(head.starts_with("HTTP/1.1 200"));
    }

    #[test]
    fn anything_else_is_refused_by_status() {
        let p = pages(true);
        for (request, status) in [
            ("POST /metrics HTTP/1.1\r\n\r\n", "405"),
            ("HEAD /metrics HTTP/1.1\r\n\r\n", "405"),
            ("GET /metrics HTTP/2.0\r\n\r\n", "505"),
            ("GET /metrics\r\n\r\n", "400"),
            ("GET  /metrics HTTP/1.1\r\n\r\n", "400"),
            ("\u{0}\u{1}\r\n\r\n", "400"),
        ] {
            let (head, _) = get(request, &p);
            assert!(
                head.starts_with(&format!("HTTP/1.1 {status} ")),
                "{request:?}: {head}"
            );
        }
        let (head, _) = get("PUT /x HTTP/1.1\r\n\r\n", &p);
        assert!(head.contains("Allow: GET"));
        let too_large = String::from_utf8(respond(&Head::TooLarge, &p)).unwrap();
        assert!(too_large.starts_with("HTTP/1.1 431 "));
        let cut = String::from_utf8(respond(&Head::Cut(b"GET /".to_vec()), &p)).unwrap();
        assert!(cut.starts_with("HTTP/1.1 400 "));
    }

    #[test]
    fn the_head_ends_at_the_first_blank_line() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r\nbody"), Some(24));
        assert_eq!(head_end(b"GET / HTTP/1.1\n\nx"), Some(16));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nA: b\r\n"), None);
    }

    /// Over loopback: a request answered, an oversized head refused, a
    /// silent client dropped at the deadline without holding the others up.
    #[tokio::test(flavor = "current_thread")]
    async fn serves_over_loopback_within_bounds() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_tx, rx) = watch::channel(Arc::new(pages(true)));
        let server = tokio::spawn(serve(listener, rx));
        // A client that sends nothing holds one slot only.
        let _silent = TcpStream::connect(addr).await.unwrap();
        let ask = |request: Vec<u8>| async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            // The server may close on an oversized head before taking it all.
            let _ = s.write_all(&request).await;
            let mut out = Vec::new();
            let _ = s.read_to_end(&mut out).await;
            String::from_utf8_lossy(&out).into_owned()
        };
        let ok = ask(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()).await;
        assert!(
            ok.starts_with("HTTP/1.1 200 OK") && ok.ends_with("ok\n"),
            "{ok}"
        );
        let mut big = b"GET /metrics HTTP/1.1\r\n".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        let refused = ask(big).await;
        assert!(
            refused.is_empty() || refused.starts_with("HTTP/1.1 431"),
            "{refused}"
        );
        server.abort();
    }
}
