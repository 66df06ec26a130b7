//! The accept loop: connections accepted within the limits, each served with HTTP/1.1 or
//! HTTP/2 (after a TLS handshake on HTTPS), slow or silent clients closed, and requests in
//! flight drained on shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use warp::filters::BoxedFilter;
use warp::http::HeaderValue;
use warp::http::header::STRICT_TRANSPORT_SECURITY;
use warp::reply::Response;

use super::ResolvedLimits;
use super::client::ClientAddress;
use crate::config::ConnectionTimeouts;
use crate::limits::{Slot, Slots};
use crate::routes::filters::PeerAddr;

/// Accepts connections until `shutdown` completes, each in a task of its own: the TLS
/// handshake first when `tls` is set (a failed or slow one closes only that connection,
/// logged at debug level), then HTTP/1.1 or HTTP/2 with the client's [`PeerAddr`] in every
/// request, within `timeouts`. At most `limits.total` connections are open at once: at that
/// limit the loop stops accepting (new connections wait in the kernel's queue) and serves
/// the open ones. A connection from an address that already has `limits.per_address` open
/// is closed as soon as it is accepted, before any TLS or HTTP work; trusted proxies count
/// only in the total. On shutdown: stops accepting, closes the listener, tells every
/// connection to finish (an idle one closes, one with a request in flight answers it first)
/// and waits for them.
pub(super) async fn serve_connections(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    timeouts: ConnectionTimeouts,
    limits: ResolvedLimits,
    trusted_proxies: Arc<[IpAddr]>,
    filter: BoxedFilter<(Response,)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let service = TowerToHyperService::new(warp::service(filter));
    let http = http_builder(&timeouts);
    let graceful = GracefulShutdown::new();
    let total = Arc::new(Semaphore::new(limits.total));
    let per_address = ConnectionsPerAddress::new(limits.per_address);
    let mut full = FullWarning::default();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A place first, then the connection: at the limit, the loop waits here rather than
        // taking a file descriptor it has no room for.
        let place = tokio::select! {
            biased;
            () = &mut shutdown => break,
            place = total.clone().acquire_owned() => match place {
                Ok(place) => place,
                // Never closed; were it, there would be nothing left to accept with.
                Err(_) => break,
            },
        };
        if total.available_permits() == 0 {
            full.warn(limits.total);
        }
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        let slot = if trusted_proxies.contains(&peer.ip()) {
            None
        } else {
            match per_address.enter(peer.ip()) {
                Some(slot) => Some(slot),
                None => {
                    // Closed at once, which costs the server nothing more. The address is not
                    // logged: the server logs no client's address.
                    drop(stream);
                    tracing::debug!("closed a connection: too many open from its address");
                    continue;
                }
            }
        };
        // Taken before the handshake, so that shutdown also waits for connections still
        // shaking hands (bounded by the handshake timeout).
        let watcher = graceful.watcher();
        let service = service.clone();
        let tls = tls.clone();
        let http = http.clone();
        let client = ClientAddress {
            peer,
            trusted_proxies: trusted_proxies.clone(),
        };
        tokio::spawn(async move {
            // Given back when the task ends, however it ends (a panic included).
            let _counted = (place, slot);
            let first_bytes = timeouts.header_read;
            let Some(acceptor) = tls else {
                return serve_connection(http, stream, first_bytes, client, None, service, watcher)
                    .await;
            };
            match tokio::time::timeout(timeouts.tls_handshake, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => {
                    let hsts = Some(HeaderValue::from_static(HSTS));
                    serve_connection(http, stream, first_bytes, client, hsts, service, watcher)
                        .await;
                }
                // Plain HTTP on the HTTPS port, a scanner, a client that distrusts the
                // certificate: that client's problem, not the server's.
                Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                Err(_) => tracing::debug!("TLS handshake timed out"),
            }
        });
    }
    drop(listener);
    tracing::debug!(
        connections = graceful.count(),
        "stopped accepting; letting requests in flight finish"
    );
    graceful.shutdown().await;
}

/// The `Strict-Transport-Security` header of every HTTPS response: a browser that has seen
/// it speaks only HTTPS to this host for a year, so that a network attacker cannot turn a
/// later visit (a typed address, an old `http://` link) into plain HTTP and read a session
/// cookie or a password. Without `includeSubDomains` (and so without `preload`): the server
/// knows nothing of the other hosts under its domain, and an association's other sites on
/// plain HTTP would stop loading; that choice belongs to whoever runs the domain, at its
/// reverse proxy. Plain HTTP never sends it (browsers ignore it there anyway).
const HSTS: &str = "max-age=31536000";

/// How often, at most, the server warns that every connection place is taken.
const FULL_WARNING_INTERVAL: Duration = Duration::from_secs(60);

/// Warns, at most once every [`FULL_WARNING_INTERVAL`], that every connection place is
/// taken: under an attack from many addresses this would otherwise fill the log.
#[derive(Debug, Default)]
struct FullWarning {
    last: Option<Instant>,
}

impl FullWarning {
    fn warn(&mut self, total: usize) {
        if self
            .last
            .is_some_and(|last| last.elapsed() < FULL_WARNING_INTERVAL)
        {
            return;
        }
        self.last = Some(Instant::now());
        tracing::warn!(
            max_connections = total,
            "every connection place is taken: new connections wait until one closes (raise \
             --max-connections if the machine has room for more)"
        );
    }
}

/// How many connections each address has open, bounded by `limit`, keyed by
/// [`address_key`].
#[derive(Debug, Clone)]
struct ConnectionsPerAddress(Slots<IpAddr>);

impl ConnectionsPerAddress {
    fn new(limit: usize) -> Self {
        ConnectionsPerAddress(Slots::new(limit))
    }

    /// Counts one more connection from `ip`, or `None` when its address has `limit` open.
    fn enter(&self, ip: IpAddr) -> Option<Slot<IpAddr>> {
        self.0.enter(address_key(ip))
    }

    #[cfg(test)]
    fn open(&self, ip: IpAddr) -> usize {
        self.0.held(&address_key(ip))
    }
}

/// What a connection is counted against: an IPv4 address as it is (also when it reaches an
/// IPv6 socket as `::ffff:a.b.c.d`), an IPv6 address by its /64 prefix, since one
/// subscriber is usually given a whole /64 and could otherwise open connections from as
/// many addresses as it likes.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
    }
}

/// The HTTP/1.1 and HTTP/2 settings of every connection: hyper's timeouts need its timer,
/// without which none of them runs.
fn http_builder(timeouts: &ConnectionTimeouts) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header_read);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(timeouts.http2_keep_alive_interval)
        .keep_alive_timeout(timeouts.http2_keep_alive_timeout);
    builder
}

/// Serves HTTP/1.1 or HTTP/2 (whichever the client speaks) on one connection until it
/// closes, or until shutdown lets it finish what it is doing. The client's first bytes must
/// arrive within `first_bytes` (see [`FirstBytesDeadline`]). Every response gets `hsts` as
/// its `Strict-Transport-Security` header when given (on HTTPS connections: see [`HSTS`]).
async fn serve_connection<I, S>(
    http: auto::Builder<TokioExecutor>,
    io: I,
    first_bytes: Duration,
    client: ClientAddress,
    hsts: Option<HeaderValue>,
    service: S,
    watcher: Watcher,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<hyper::Request<Incoming>, Response = Response, Error = Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        let address = client.of(request.headers());
        request.extensions_mut().insert(PeerAddr(address));
        let response = service.call(request);
        let hsts = hsts.clone();
        async move {
            let mut response = response.await?;
            if let Some(hsts) = hsts {
                response
                    .headers_mut()
                    .insert(STRICT_TRANSPORT_SECURITY, hsts);
            }
            Ok::<_, Infallible>(crate::routes::download::body_of(response))
        }
    });
    let io = FirstBytesDeadline::new(io, first_bytes);
    let connection = http.serve_connection_with_upgrades(TokioIo::new(io), service);
    if let Err(error) = watcher.watch(connection).await {
        // A client that went away mid-request, or spoke something other than HTTP.
        tracing::debug!(%error, "connection closed with an error");
    }
}

/// How many bytes hyper-util reads to tell HTTP/1 from HTTP/2: the HTTP/2 preface's length.
const PROTOCOL_SNIFF_BYTES: usize = 24;

/// A connection whose first bytes must arrive before a deadline. hyper-util reads up to
/// [`PROTOCOL_SNIFF_BYTES`] to tell HTTP/1 from HTTP/2 before either protocol, and so
/// hyper's header timeout, starts, and would wait for ever on a client that sends nothing
/// or a piece of the HTTP/2 preface. Reads fail with `TimedOut` once the deadline has
/// passed, until that many bytes have arrived or the server has written (answered a short
/// HTTP/1 request); then the protocols' own timeouts take over.
#[derive(Debug)]
struct FirstBytesDeadline<I> {
    io: I,
    /// `None` once enough bytes arrived, the server wrote, or the client closed its side.
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    awaited: usize,
}

impl<I> FirstBytesDeadline<I> {
    fn new(io: I, within: Duration) -> Self {
        FirstBytesDeadline {
            io,
            deadline: Some(Box::pin(tokio::time::sleep(within))),
            awaited: PROTOCOL_SNIFF_BYTES,
        }
    }
}

impl<I: AsyncRead + Unpin> AsyncRead for FirstBytesDeadline<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        match &polled {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                this.awaited = this.awaited.saturating_sub(read);
                if this.awaited == 0 || read == 0 {
                    this.deadline = None;
                }
            }
            Poll::Pending => {
                if let Some(deadline) = &mut this.deadline
                    && deadline.as_mut().poll(cx).is_ready()
                {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the client sent too little in time",
                    )));
                }
            }
            Poll::Ready(Err(_)) => {}
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for FirstBytesDeadline<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.deadline = None;
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        self.deadline = None;
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// What to do when accepting a connection failed: nothing for errors of that one
/// connection; otherwise (out of file descriptors, say) log it and pause a second, so that
/// a loop of failures does not spin.
async fn accept_failed(error: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn an_address_gets_its_limit_and_a_place_back_when_a_connection_ends() {
        let table = ConnectionsPerAddress::new(2);
        let first = table.enter(ip("192.0.2.1")).expect("first");
        let second = table.enter(ip("192.0.2.1")).expect("second");
        assert!(table.enter(ip("192.0.2.1")).is_none(), "a third is refused");
        assert!(table.enter(ip("192.0.2.2")).is_some(), "others are not");
        drop(first);
        assert_eq!(table.open(ip("192.0.2.1")), 1);
        let third = table.enter(ip("192.0.2.1")).expect("a place again");
        drop((second, third));
        assert_eq!(table.open(ip("192.0.2.1")), 0);
        assert_eq!(table.0.keys(), 0, "no entry is kept for closed ones");
    }

    #[test]
    fn a_place_is_given_back_when_its_task_panics() {
        let table = ConnectionsPerAddress::new(1);
        let slot = table.enter(ip("192.0.2.1")).expect("first");
        let panicked = std::thread::spawn(move || {
            let _slot = slot;
            panic!("a connection's task panics");
        })
        .join();
        assert!(panicked.is_err());
        assert!(table.enter(ip("192.0.2.1")).is_some(), "the place is free");
    }

    #[test]
    fn ipv6_counts_by_64_prefix_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            address_key(ip("2001:db8:1:2:aaaa::1")),
            address_key(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            address_key(ip("2001:db8:1:2::1")),
            address_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(address_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
        assert_ne!(
            address_key(ip("::ffff:192.0.2.1")),
            address_key(ip("::ffff:192.0.2.2")),
            "IPv4 clients of a dual-stack socket are not one /64"
        );
        let table = ConnectionsPerAddress::new(1);
        let _held = table.enter(ip("2001:db8::1")).expect("first");
        assert!(table.enter(ip("2001:db8::2")).is_none(), "same /64");
    }
}
