//! `letsema serve`: open the database, bind the port, serve until told to stop.
//!
//! The server runs its own accept loop rather than `warp::serve`: warp 0.4 has no TLS and
//! accepts only its own listener types. Plain HTTP and HTTPS share that one loop, which
//! records each client's address for the routes ([`PeerAddr`]), serves HTTP/1.1 and HTTP/2
//! on each connection, closes the connections of clients too slow to speak (the timeouts
//! below, [`ConnectionTimeouts`] in the configuration), bounds how many connections are open
//! at once, in all and per address ([`ConnectionLimits`], with the open-files limit raised
//! at start-up to make room for them), adds `Strict-Transport-Security` to every HTTPS
//! response, and drains requests in flight on shutdown.

pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::PathBuf;
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
use tokio::sync::{Notify, Semaphore};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use warp::filters::BoxedFilter;
use warp::http::HeaderValue;
use warp::http::header::STRICT_TRANSPORT_SECURITY;
use warp::reply::Response;

use crate::config::{ConnectionLimits, ConnectionTimeouts, ServeConfig};
use crate::limits::{Slot, Slots};
use crate::routes::{AppState, PeerAddr, routes};
use crate::store::{DataDirLock, FormCache, SharedStore, SqliteStore, StoreError};

pub use tls::TlsError;

/// How long a client may take over the TLS handshake before its connection is closed (a
/// client that never finishes one must not hold a connection for ever).
pub const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client may take to send a connection's first bytes (those that tell HTTP/1
/// from HTTP/2), and then each HTTP/1 request's headers, counted from when the server starts
/// waiting for them. A client that sends them slowly (slowloris) or not at all is
/// disconnected; so is an HTTP/1 keep-alive connection idle for this long. A phone on a poor
/// network sends a few hundred bytes of headers in far less.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long an HTTP/2 connection may be quiet before the server pings the client.
pub const HTTP2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(60);

/// How long the server waits for the answer to that ping before closing the connection (its
/// client went away without closing it, or does not speak HTTP/2 at all).
pub const HTTP2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Connections open at once from one address, by default: a browser opens up to six
/// HTTP/1.1 connections to a server (one with HTTP/2), so this leaves room for about ten
/// browsers behind one shared address (an office, a carrier's NAT), while an attacker with
/// one address holds only a small share of the total.
pub const MAX_CONNECTIONS_PER_ADDRESS: NonZeroUsize = NonZeroUsize::new(64).expect("not zero");

/// The most connections open at once by default, however high the open-files limit. An idle
/// connection was measured at about 7 KiB (plain) and 13 KiB (TLS, after the handshake), and
/// takes more with buffers in use or HTTP/2's state: this keeps what idle connections can
/// take of a small machine's memory to a few hundred megabytes at worst, for far more
/// connections than an association's phones and staff open.
pub const MAX_CONNECTIONS_CEILING: usize = 10_000;

/// The fewest connections the default allows, even under a tiny open-files limit.
pub const MAX_CONNECTIONS_FLOOR: usize = 16;

/// File descriptors kept for everything but connections, at least: the database (its file,
/// WAL, shared memory and temporary files), the data directory's lock, the listener, the
/// runtime's own descriptors, standard streams and logs, and the web app's files, each open
/// while it is being sent.
pub const OPEN_FILES_RESERVE: usize = 64;

/// The default for [`ConnectionLimits::total`]: the open-files limit less a reserve of an
/// eighth of it (at least [`OPEN_FILES_RESERVE`]) for everything but connections, between
/// [`MAX_CONNECTIONS_FLOOR`] and [`MAX_CONNECTIONS_CEILING`]. With the total held below the
/// open-files limit, accepting never fails for want of a descriptor, and the database can
/// always open its files.
pub fn default_max_connections(open_files: u64) -> NonZeroUsize {
    let open_files = usize::try_from(open_files).unwrap_or(usize::MAX);
    let reserve = (open_files / 8).max(OPEN_FILES_RESERVE);
    let total = open_files
        .saturating_sub(reserve)
        .clamp(MAX_CONNECTIONS_FLOOR, MAX_CONNECTIONS_CEILING);
    NonZeroUsize::new(total).unwrap_or(NonZeroUsize::MIN)
}

/// Raises the process's open-files soft limit (`RLIMIT_NOFILE`) to its hard limit, as far as
/// the system allows, and returns the soft limit then in force; `None` where there is no
/// such limit (not Unix) or it cannot be read. Each connection holds a file descriptor, and
/// the usual soft limit (1,024) would cap the server at fewer connections than its hard
/// limit allows.
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(limit) => Some(limit),
            Err(error) => {
                let soft = rlimit::getrlimit(rlimit::Resource::NOFILE)
                    .ok()
                    .map(|(soft, _)| soft);
                tracing::warn!(
                    %error,
                    open_files = soft,
                    "cannot raise the open-files limit to its hard limit; keeping it (raise it \
                     with `ulimit -n` or systemd's LimitNOFILE= for more connections)"
                );
                soft
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Threads for blocking work outside the sync workers (database lookups that authenticate
/// a request, the web app's files, validation), at most.
///
/// tokio's default is 512, and a thousand phones reconnecting at once each start a lookup
/// of their credential: the pool grew to hundreds of threads that all waited for the same
/// database connection, each with its own allocator heap, and took the server to 900 MB.
/// Work past this many waits in the pool's queue instead, costing a few hundred bytes each.
pub const MAX_BLOCKING_THREADS: usize = 16;

/// The server's async runtime: tokio's multi-threaded one, one thread per core, with at
/// most [`MAX_BLOCKING_THREADS`] threads for blocking work.
///
/// # Errors
///
/// When the operating system refuses the runtime's threads or I/O driver.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build()
}

/// The connection limits in force: [`ConnectionLimits`] with the total decided.
#[derive(Debug, Clone, Copy)]
struct ResolvedLimits {
    total: usize,
    per_address: usize,
}

impl ResolvedLimits {
    /// Raises the open-files limit, decides the total and logs both.
    fn at_start_up(limits: ConnectionLimits) -> Self {
        let open_files = raise_open_files_limit();
        let fitting = open_files.map(default_max_connections);
        let total = match (limits.total, fitting) {
            (Some(total), Some(fitting)) if total > fitting => {
                tracing::warn!(
                    max_connections = total,
                    open_files,
                    "--max-connections is more than the open-files limit leaves room for \
                     ({fitting}): accepting may fail with \"too many open files\"; raise the \
                     hard limit (`ulimit -Hn`, systemd's LimitNOFILE=) or lower --max-connections"
                );
                total
            }
            (Some(total), _) => total,
            (None, Some(fitting)) => fitting,
            // No open-files limit to go by.
            (None, None) => NonZeroUsize::new(MAX_CONNECTIONS_CEILING).unwrap_or(NonZeroUsize::MIN),
        };
        // Semaphore::new panics above its maximum, which no machine holds connections for.
        let total = total.get().min(Semaphore::MAX_PERMITS);
        let per_address = limits.per_address.get();
        tracing::info!(
            open_files,
            max_connections = total,
            max_connections_per_address = per_address,
            "connection limits"
        );
        ResolvedLimits { total, per_address }
    }
}

/// Why the server could not start. Each message is one line that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Busy(#[from] crate::store::DataDirBusy),
    #[error("cannot publish the reference form: {0}")]
    Demo(#[from] crate::store::PublishError),
    #[error("{0}")]
    Tls(#[from] TlsError),
    #[error(
        "cannot listen on {addr}: {source}. Is another server using this port? Stop it, or \
         choose another address with --listen (port 0 picks a free port)"
    )]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A server whose database is open and whose port is bound, ready to run.
#[derive(Debug)]
pub struct Server {
    _lock: DataDirLock,
    listener: TcpListener,
    state: AppState,
    local_addr: SocketAddr,
    tls: Option<Arc<ServerConfig>>,
    timeouts: ConnectionTimeouts,
    limits: ResolvedLimits,
    trusted_proxies: Arc<[IpAddr]>,
    database_path: PathBuf,
}

impl Server {
    /// Opens the database and binds the listening socket. Fails, without starting anything,
    /// when either cannot be had.
    pub async fn bind(config: ServeConfig) -> Result<Self, ServeError> {
        // The certificate and the port first: they are the cheaper checks, and a bad file
        // or a busy port must not cost a migration.
        let tls = config.tls.as_ref().map(tls::server_config).transpose()?;
        let addr = config.listen.0;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServeError::Listen { addr, source })?;
        let local_addr = listener
            .local_addr()
            .map_err(|source| ServeError::Listen { addr, source })?;
        SqliteStore::prepare_dir(&config.data_dir)?;
        let lock = DataDirLock::acquire(&config.data_dir)?;
        // The one place that chooses the backend: everything after sees only the trait.
        let store = SqliteStore::open(&config.data_dir)?;
        let database_path = store.path().to_owned();
        let store: SharedStore = Arc::new(store);
        if config.demo {
            publish_reference_form(&store)?;
        }
        if !config.web_dir.join("index.html").is_file() {
            tracing::warn!(
                web_dir = %config.web_dir.display(),
                "the web app is not built there: only the API will answer (build it with ./dev run)"
            );
        }
        let scheme = scheme(tls.is_some());
        let threads = crate::workers::cores();
        let mut queue = crate::workers::QueueLimits::for_threads(threads);
        if let Some(capacity) = config.sync_queue {
            queue.capacity = capacity.get();
        }
        let mut state = AppState::with_sync_workers(
            store,
            config.web_dir,
            config
                .public_url
                .clone()
                .unwrap_or_else(|| format!("{scheme}://{local_addr}")),
            crate::workers::Workers::with_queue("letsema-sync", threads, queue),
        );
        state.metrics_token = config.metrics_token.filter(|t| !t.is_empty());
        // Browsers must never send a session cookie of an HTTPS server over plain HTTP.
        state.auth.secure_cookies = tls.is_some();
        // Last, once nothing can fail: a refused start logs nothing but its one error line.
        let limits = ResolvedLimits::at_start_up(config.limits);
        Ok(Server {
            _lock: lock,
            listener,
            state,
            local_addr,
            tls,
            timeouts: config.timeouts,
            limits,
            trusted_proxies: config.trusted_proxies.into(),
            database_path,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Whether the server speaks HTTPS (`--tls-cert` and `--tls-key` were given).
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// The address to open, `http://IP:PORT/` or `https://IP:PORT/`.
    pub fn url(&self) -> String {
        format!("{}://{}/", scheme(self.is_tls()), self.local_addr)
    }

    /// The database file in use.
    pub fn database_path(&self) -> PathBuf {
        self.database_path.clone()
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let validator = tokio::spawn(run_validator(
            self.state.store.clone(),
            self.state.validator.clone(),
            self.state.sync_activity.clone(),
        ));
        let limits = self.state.limits.clone();
        let forgetter = tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                limits.shrink();
            }
        });
        let acceptor = self.tls.map(TlsAcceptor::from);
        serve_connections(
            self.listener,
            acceptor,
            self.timeouts,
            self.limits,
            self.trusted_proxies,
            routes(self.state),
            shutdown,
        )
        .await;
        validator.abort();
        forgetter.abort();
    }
}

fn scheme(tls: bool) -> &'static str {
    if tls { "https" } else { "http" }
}

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
async fn serve_connections(
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
            Ok::<_, Infallible>(response)
        }
    });
    let io = FirstBytesDeadline::new(io, first_bytes);
    let connection = http.serve_connection_with_upgrades(TokioIo::new(io), service);
    if let Err(error) = watcher.watch(connection).await {
        // A client that went away mid-request, or spoke something other than HTTP.
        tracing::debug!(%error, "connection closed with an error");
    }
}

/// Who sent a request on a connection: the connection's peer, or, when the peer is a
/// trusted reverse proxy, the client it names in `X-Forwarded-For`.
#[derive(Debug, Clone)]
struct ClientAddress {
    peer: SocketAddr,
    trusted_proxies: Arc<[IpAddr]>,
}

impl ClientAddress {
    fn of(&self, headers: &warp::http::HeaderMap) -> SocketAddr {
        client_address(self.peer, headers, &self.trusted_proxies)
    }
}

/// The address a request counts against: `peer`, unless `peer` is one of
/// `trusted_proxies`; then the right-most address of `X-Forwarded-For` (every such header,
/// in order) that is not itself a trusted proxy, with port 0. Addresses to its left were
/// written by the client and are not believed; an unreadable entry stops the walk there,
/// and the last trusted hop is used.
pub fn client_address(
    peer: SocketAddr,
    headers: &warp::http::HeaderMap,
    trusted_proxies: &[IpAddr],
) -> SocketAddr {
    if !trusted_proxies.contains(&peer.ip()) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            break;
        };
        client = SocketAddr::new(ip, 0);
        if !trusted_proxies.contains(&ip) {
            break;
        }
    }
    client
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

/// How long no sync must run before a validation pass starts.
pub const VALIDATION_GAP: Duration = Duration::from_millis(100);
/// The longest a validation pass waits for such a gap: under continuous syncs, one batch
/// of `VALIDATION_BATCH` submissions is validated this often.
pub const VALIDATION_MAX_WAIT: Duration = Duration::from_secs(2);

/// Validates what syncs committed, whenever woken (and every minute, in case a wake-up was
/// missed), until aborted. Each pass runs on the blocking pool, in a gap between syncs
/// ([`VALIDATION_GAP`], waiting at most [`VALIDATION_MAX_WAIT`]): a pass holds the database,
/// and syncs come first. A pass during which no sync came is followed at once by the next:
/// a queue left after a busy evening drains at the engine's pace. What waits is the
/// `letsema_validation_queue` of `/metrics`.
pub async fn run_validator(
    store: SharedStore,
    wake: Arc<Notify>,
    activity: Arc<crate::routes::sync::SyncActivity>,
) {
    let mut cache = FormCache::default();
    loop {
        // Syncs begun when the last pass started; `None` before the first pass.
        let mut begun_at_last_pass = None;
        loop {
            // After a pass during which no sync came, the next needs no gap: nobody waits.
            let quiet = activity.in_flight() == 0 && begun_at_last_pass == Some(activity.begun());
            if !quiet {
                activity.gap(VALIDATION_GAP, VALIDATION_MAX_WAIT).await;
            }
            begun_at_last_pass = Some(activity.begun());
            let pass_store = store.clone();
            let pass = tokio::task::spawn_blocking(move || {
                let result = pass_store.validate_pending(&mut cache);
                (cache, result)
            })
            .await;
            let Ok((returned, result)) = pass else {
                tracing::error!("a validation pass panicked; retrying in a minute");
                cache = FormCache::default();
                break;
            };
            cache = returned;
            match result {
                Ok(0) => break,
                Ok(count) => tracing::debug!(count, "validated submissions"),
                Err(error) => {
                    tracing::error!(%error, "validation failed; retrying in a minute");
                    break;
                }
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
        }
    }
}

/// The reference form, compiled into the binary so that a demo needs no files.
pub const REFERENCE_FORM: (&str, &[u8]) = (
    "diaspora_registration.xlsx",
    include_bytes!("../../examples/forms/diaspora_registration.xlsx"),
);

fn publish_reference_form(store: &SharedStore) -> Result<(), crate::store::PublishError> {
    let (name, bytes) = REFERENCE_FORM;
    let published = store.publish_form(name, bytes, "letsema serve --demo")?;
    if published.newly_published {
        tracing::info!(form = %published.form_id, version = %published.version, "published the reference form");
    }
    Ok(())
}

/// Completes on SIGINT (Ctrl+C) or SIGTERM. The handlers are installed by this call, not
/// when the future is first polled: call it before announcing the server, so that a signal
/// sent right after the announcement stops it cleanly instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &'static str| {
            let installed = signal(kind);
            async move {
                match installed {
                    Ok(mut signal) => {
                        signal.recv().await;
                    }
                    Err(err) => {
                        tracing::error!(%err, "cannot listen for {name}");
                        std::future::pending::<()>().await;
                    }
                }
            }
        };
        let interrupt = listen(SignalKind::interrupt(), "Ctrl+C");
        let terminate = listen(SignalKind::terminate(), "SIGTERM");
        async move {
            tokio::select! {
                () = interrupt => tracing::info!("received Ctrl+C, stopping"),
                () = terminate => tracing::info!("received SIGTERM, stopping"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl+C");
            std::future::pending::<()>().await;
        }
        tracing::info!("received Ctrl+C, stopping");
    }
}

#[cfg(test)]
mod client_address_tests {
    use super::*;
    use warp::http::{HeaderMap, HeaderValue};

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                "x-forwarded-for",
                HeaderValue::from_str(value).expect("a header value"),
            );
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    const PROXY: &str = "10.0.0.2";

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let peer: SocketAddr = "203.0.113.7:5000".parse().expect("an address");
        let headers = forwarded(&["198.51.100.1"]);
        assert_eq!(client_address(peer, &headers, &[]), peer);
        // A proxy that is not the peer does not make the header believed.
        assert_eq!(client_address(peer, &headers, &[ip(PROXY)]), peer);
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_last_address_it_did_not_add() {
        let peer = SocketAddr::new(ip(PROXY), 443);
        let trusted = [ip(PROXY), ip("10.0.0.3")];
        let client = |values: &[&str]| client_address(peer, &forwarded(values), &trusted);
        assert_eq!(client(&["198.51.100.1"]).ip(), ip("198.51.100.1"));
        // What the client wrote itself (the left part) is not believed.
        assert_eq!(client(&["1.2.3.4, 198.51.100.1"]).ip(), ip("198.51.100.1"));
        // Through two trusted proxies, and over two header lines.
        assert_eq!(
            client(&["1.2.3.4, 198.51.100.1", "10.0.0.3"]).ip(),
            ip("198.51.100.1")
        );
        assert_eq!(client(&["2001:db8::5"]).ip(), ip("2001:db8::5"));
        // No header, or garbage: the proxy itself.
        assert_eq!(client(&[]), peer);
        assert_eq!(client(&["not an address"]), peer);
        assert_eq!(
            client(&["198.51.100.1, garbage"]),
            peer,
            "an unreadable last hop is not skipped over"
        );
    }
}

#[cfg(test)]
mod connection_limit_tests {
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

    #[test]
    fn the_default_total_leaves_a_reserve_of_open_files() {
        let total = |open_files: u64| default_max_connections(open_files).get();
        assert_eq!(total(1024), 896, "the usual soft limit less an eighth");
        assert_eq!(total(4096), 3584);
        assert_eq!(total(256), 192, "at least 64 kept");
        assert_eq!(total(20), MAX_CONNECTIONS_FLOOR);
        assert_eq!(total(0), MAX_CONNECTIONS_FLOOR);
        assert_eq!(total(1 << 20), MAX_CONNECTIONS_CEILING);
        assert_eq!(total(u64::MAX), MAX_CONNECTIONS_CEILING);
    }
}
