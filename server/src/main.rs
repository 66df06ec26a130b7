//! The `letsema` command.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use letsema_server::config::{ConnectionLimits, TlsFiles};
use letsema_server::store::Database;
use letsema_server::{
    ConnectionTimeouts, ListenAddr, ServeConfig, Server, commands, serve::shutdown_signal,
};
use tracing_subscriber::EnvFilter;

/// mimalloc rather than the system allocator: see `server/Cargo.toml`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Letsema: offline-first surveys for diaspora mapping.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the web app and the API.
    Serve {
        /// The address to listen on, IP:PORT (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8080", value_name = "IP:PORT")]
        listen: String,
        #[command(flatten)]
        database: DatabaseArgs,
        /// The folder holding the built web app.
        #[arg(long, default_value = "./web/dist", value_name = "DIR")]
        web_dir: PathBuf,
        /// Publish the reference form (Diaspora member registration) if it is not yet.
        #[arg(long)]
        demo: bool,
        /// The address people open, e.g. https://letsema.example.org (for enrolment links
        /// and QR codes; default: the listening address).
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
        /// A token a metrics scraper sends as `Authorization: Bearer` to read /metrics
        /// (admins signed in may always read it). Read from the environment variable
        /// LETSEMA_METRICS_TOKEN, so that it does not show in the process list.
        #[arg(long, env = "LETSEMA_METRICS_TOKEN", hide_env_values = true)]
        metrics_token: Option<String>,
        /// Serve HTTPS with this certificate chain, a PEM file with the server's certificate
        /// first (such as certbot's fullchain.pem). Needs --tls-key. Without both, the
        /// server speaks plain HTTP: put a TLS-terminating proxy in front of it.
        #[arg(long, value_name = "FILE")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert, an unencrypted PEM file (PKCS#8, RSA or EC, such
        /// as certbot's privkey.pem).
        #[arg(long, value_name = "FILE")]
        tls_key: Option<PathBuf>,
        /// The address of a reverse proxy in front of the server (repeat for several, or
        /// separate with commas): requests from it are counted against the client address
        /// it puts in X-Forwarded-For, so that per-address limits apply per client.
        #[arg(
            long = "trusted-proxy",
            value_name = "IP",
            value_delimiter = ',',
            env = "LETSEMA_TRUSTED_PROXIES"
        )]
        trusted_proxies: Vec<std::net::IpAddr>,
        /// The most connections open at once, all clients together; past it, new
        /// connections wait until one closes. Default: the open-files limit (raised to its
        /// hard limit at start) less an eighth, at least 64, kept for the database and the
        /// web app's files; at most 10000.
        #[arg(long, value_name = "N", value_parser = parse_connection_count)]
        max_connections: Option<NonZeroUsize>,
        /// The most connections open at once from one address (an IPv6 /64 counts as one);
        /// one more is closed at once. Counted by the connection's own address: connections
        /// from a --trusted-proxy count only towards --max-connections.
        #[arg(
            long,
            value_name = "N",
            default_value_t = letsema_server::config::MAX_CONNECTIONS_PER_ADDRESS,
            value_parser = parse_connection_count
        )]
        max_connections_per_address: NonZeroUsize,
        /// The most sync requests admitted at once (reading their bodies, waiting for a
        /// sync worker, or being worked on); one more is answered 503 with Retry-After and
        /// the device sends it again later. Default: 512 per core.
        #[arg(long, value_name = "N", value_parser = parse_queue_size)]
        sync_queue: Option<NonZeroUsize>,
    },
    /// Tools for form authors.
    #[command(subcommand)]
    Form(FormCommand),
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Associations' display names, which phones show instead of their codes.
    #[command(subcommand)]
    Association(AssociationCommand),
    /// Run the diaspora-500 workload against a running server over HTTP, as phones would,
    /// and print bytes, requests and time per phase.
    Load {
        /// The server, e.g. http://127.0.0.1:8080. Repeat for several servers of one
        /// installation (on one PostgreSQL database): phones are spread over them in turn,
        /// and the first enrols them and reports the validation queue.
        #[arg(long = "url", required = true)]
        urls: Vec<String>,
        /// Submissions in all.
        #[arg(long, default_value_t = 500)]
        submissions: usize,
        /// Phones syncing at the same time.
        #[arg(long, default_value_t = 1)]
        devices: usize,
        /// The workload's seed.
        #[arg(long, default_value_t = 500)]
        seed: u64,
        /// An enrolment link (or its code) with at least one use per phone.
        #[arg(long, conflicts_with = "admin")]
        enrolment: Option<String>,
        /// An admin account that creates the enrolment; its password is read from the
        /// terminal, or the first line of standard input.
        #[arg(long)]
        admin: Option<String>,
        /// For an https:// server whose certificate the system does not trust (a
        /// self-signed one): a PEM file of the certificates to trust.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Against a server on this machine's loopback, phones come from loopback addresses
        /// 127.0.0.2 onwards, this many each, as phones on distinct networks would, so that
        /// the server's per-address limits see what they would in the field.
        #[arg(long, value_name = "N", default_value_t = commands::load::PHONES_PER_ADDRESS)]
        phones_per_address: usize,
        /// The server's process id on this machine: its peak resident memory is reported
        /// for each phase (from /proc).
        #[arg(long, value_name = "PID")]
        server_pid: Option<u32>,
        /// Also write the figures as JSON to this file (- for standard output).
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Only the first sync: to fill a server with data, or time that phase alone.
        #[arg(long)]
        first_sync_only: bool,
        /// Then wait until the server has validated every submission, and report how fast
        /// its validation queue drained (reads /metrics as --admin).
        #[arg(long, requires = "admin")]
        drain: bool,
    },
    /// Review a submission as a staff member: set its status and add a comment, which the
    /// phone that made it receives on its next sync. Without --status and --comment: show
    /// its answers; without a submission: list those the account may review. The password is read from the terminal, or the first line of
    /// standard input.
    Review {
        /// The server, e.g. http://127.0.0.1:8080.
        #[arg(long)]
        url: String,
        /// The staff account (a reviewer, a coordinator or an admin).
        #[arg(long)]
        email: String,
        /// The submission's id (a UUID).
        submission: Option<String>,
        /// The verdict: received, has_issues, approved or rejected.
        #[arg(long, value_parser = parse_review_status)]
        status: Option<letsema_doc::ReviewStatus>,
        /// A comment for the volunteer.
        #[arg(long)]
        comment: Option<String>,
        /// For an https:// server whose certificate the system does not trust (a
        /// self-signed one): a PEM file of the certificates to trust.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Sync only this association's submissions (one of the account's): quick on a
        /// large server.
        #[arg(long, value_name = "CODE")]
        association: Option<String>,
    },
    /// Export one form's submissions (every published version) as CSV (a zip: one file for
    /// the submissions, one per repeat), XLSX or JSON lines: from a running server with
    /// --url and --email (the password is read from the terminal, or the first line of
    /// standard input), or from the database itself (--data-dir or --database). Every
    /// export is recorded in the audit log.
    Export(Box<ExportArgs>),
    /// Import an existing register (a spreadsheet of members, .xlsx, .xls or .csv, one row
    /// per person, the columns' names in the first row) as submissions of a published form
    /// in one association. Rows that cannot be read refuse the whole import, with their row,
    /// column and reason; importing the same file again changes nothing.
    Import {
        /// The register.
        file: PathBuf,
        /// The form's id.
        #[arg(long)]
        form: String,
        /// The version rows become submissions of (default: the newest published).
        #[arg(long)]
        version: Option<String>,
        /// The association the members belong to.
        #[arg(long, value_name = "CODE")]
        association: String,
        /// The column that identifies a person across imports (a member number); default:
        /// the whole row.
        #[arg(long, value_name = "COLUMN")]
        key: Option<String>,
        /// Match a column to a question (COLUMN=question), or leave it out (COLUMN=).
        /// Repeat for several.
        #[arg(long, value_name = "COLUMN=QUESTION", value_parser = letsema_server::import::ImportRequest::parse_map)]
        map: Vec<(String, Option<String>)>,
        /// Read, check and judge every row, and say what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// No progress on standard error.
        #[arg(long, short)]
        quiet: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// People registered more than once: every submission compared (names with typos and
    /// both Sesotho spellings, dates of birth, phones, e-mail), each group printed with the
    /// reasons that tie it. Recorded in the audit log.
    Duplicates {
        /// Only this form's submissions (by default every form's).
        #[arg(long)]
        form: Option<String>,
        /// As JSON lines (one group a line) rather than text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Read the audit log, newest first: exports, imports, OData reads, sign-ins, accounts,
    /// enrolments, revocations and public links, with who, when and from which address.
    Audit {
        /// Only this action, such as export, session.open or device.revoke.
        #[arg(long)]
        action: Option<String>,
        /// Only this actor, such as user:3 or cli.
        #[arg(long)]
        actor: Option<String>,
        /// How many entries, at most (1 to 1000).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// As JSON lines rather than a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Copy the database consistently, while the server runs.
    Backup {
        /// The backup file to create (it must not exist).
        dest: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Put a backup in place of the database; the server must be stopped. The replaced
    /// database is kept beside it.
    Restore {
        /// A file made by `letsema backup`.
        src: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Make every phone compare all it holds with the server on its next sync, and send
    /// back what the database lacks: run it after restoring PostgreSQL with pg_restore or
    /// from a base backup, or after promoting a replica that may have missed recent writes.
    /// PostgreSQL's servers may keep running; the embedded database's server must be
    /// stopped (`letsema restore` renews it itself).
    RenewEpoch {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Copy the installation in --data-dir into an empty PostgreSQL database: every table,
    /// with the same ids, change log numbers and sync epoch, so that phones keep syncing
    /// without re-enrolling; then verify the copy and print a summary. The server must be
    /// stopped; the SQLite database is left as it was.
    Migrate {
        /// The server's data directory.
        #[arg(long, default_value = "./data", value_name = "DIR")]
        data_dir: PathBuf,
        /// The new, empty PostgreSQL database (create it first, e.g. with createdb), as
        /// postgres://USER:PASSWORD@HOST:PORT/DATABASE. Read from the environment variable
        /// LETSEMA_DATABASE_URL when not given, so that the password does not show in the
        /// process list.
        #[arg(
            long,
            env = "LETSEMA_DATABASE_URL",
            hide_env_values = true,
            value_name = "URL"
        )]
        to: String,
    },
}

/// Where the database is: `--data-dir` (the embedded SQLite database, the default) or
/// `--database` (PostgreSQL).
#[derive(Debug, Args)]
struct DatabaseArgs {
    /// The folder for the embedded database; created on first start. Not used with
    /// --database.
    #[arg(long, default_value = "./data", value_name = "DIR")]
    data_dir: PathBuf,
    /// A PostgreSQL database instead of the embedded one, for several servers on one
    /// database: postgres://USER:PASSWORD@HOST:PORT/DATABASE. Read from the environment
    /// variable LETSEMA_DATABASE_URL, so that its password does not show in the process
    /// list.
    #[arg(
        long,
        env = "LETSEMA_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    database: Option<String>,
    /// With --database: the most connections to PostgreSQL this process opens (all the
    /// servers' together must stay below PostgreSQL's max_connections).
    #[arg(long, value_name = "N", default_value_t = letsema_server::store::DEFAULT_POOL_SIZE)]
    database_pool: usize,
}

impl DatabaseArgs {
    fn database(self) -> Database {
        match self.database {
            Some(url) => Database::Postgres {
                url,
                pool_size: self.database_pool,
            },
            None => Database::Embedded(self.data_dir),
        }
    }
}

/// `letsema export`'s arguments: the staff table's filters, the export's options, and where
/// the submissions come from.
#[derive(Debug, Args)]
struct ExportArgs {
    /// The form's id.
    #[arg(long)]
    form: String,
    /// csv (a zip of CSV files), xlsx or jsonl.
    #[arg(long, default_value = "csv", value_parser = ["csv", "xlsx", "jsonl"])]
    format: String,
    /// The file to write; by default FORM-DAY.EXTENSION in the current folder.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Replace the output file if it exists.
    #[arg(long)]
    force: bool,
    /// Only this version of the form.
    #[arg(long)]
    version: Option<String>,
    /// Only this association's submissions.
    #[arg(long, value_name = "CODE")]
    association: Option<String>,
    /// Only with this review status: received, has_issues, approved or rejected.
    #[arg(long)]
    status: Option<String>,
    /// Only made on or after this day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: Option<String>,
    /// Only made on or before this day (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: Option<String>,
    /// true: only complete submissions; false: only those with issues.
    #[arg(long)]
    complete: Option<bool>,
    /// true: only those with unresolved conflicting edits.
    #[arg(long)]
    conflicts: Option<bool>,
    /// Only those whose select question QUESTION has VALUE among its answers; up to four.
    #[arg(long, value_name = "QUESTION:VALUE")]
    choice: Vec<String>,
    /// Only those whose names or text answers hold these words (or words starting so).
    #[arg(long, value_name = "WORDS")]
    search: Option<String>,
    /// oldest (the default) or newest first.
    #[arg(long)]
    order: Option<String>,
    /// Column headers without their groups' names.
    #[arg(long)]
    no_group_names: bool,
    /// A select_multiple also as one 0/1 column per choice.
    #[arg(long)]
    split_select_multiple: bool,
    /// Choice labels in this language rather than choice names.
    #[arg(long, value_name = "LANGUAGE")]
    labels: Option<String>,
    /// Leave out the review status and the reviewers' comments.
    #[arg(long)]
    no_review: bool,
    /// Leave out the server's judgement (complete, issues).
    #[arg(long)]
    no_judgement: bool,
    /// No progress on standard error.
    #[arg(long, short)]
    quiet: bool,
    /// A running server, e.g. https://letsema.example.org, instead of the database.
    #[arg(long, requires = "email")]
    url: Option<String>,
    /// The staff account to sign in with at --url.
    #[arg(long, requires = "url")]
    email: Option<String>,
    /// For an https:// server whose certificate the system does not trust: a PEM file of
    /// the certificates to trust.
    #[arg(long, value_name = "FILE")]
    ca_cert: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseArgs,
}

impl ExportArgs {
    /// The filters and options as the API's query parameters.
    fn parameters(&self) -> Vec<(String, String)> {
        let mut pairs = vec![
            ("form".to_owned(), self.form.clone()),
            ("format".to_owned(), self.format.clone()),
        ];
        let mut add = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                pairs.push((name.to_owned(), value));
            }
        };
        add("version", self.version.clone());
        add("association", self.association.clone());
        add("status", self.status.clone());
        add("from", self.from.clone());
        add("to", self.to.clone());
        add("complete", self.complete.map(|v| v.to_string()));
        add("conflicts", self.conflicts.map(|v| v.to_string()));
        add("q", self.search.clone());
        add("order", self.order.clone());
        add(
            "group_names",
            self.no_group_names.then(|| "false".to_owned()),
        );
        add(
            "split_select_multiple",
            self.split_select_multiple.then(|| "true".to_owned()),
        );
        add("labels", self.labels.clone());
        add("review", self.no_review.then(|| "false".to_owned()));
        add("judgement", self.no_judgement.then(|| "false".to_owned()));
        for choice in &self.choice {
            pairs.push(("choice".to_owned(), choice.clone()));
        }
        pairs
    }
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff account. The password is asked for on the terminal, or read from the
    /// first line of standard input when it is not a terminal.
    Add {
        /// The e-mail address the person signs in with.
        email: String,
        /// admin, reviewer or coordinator.
        #[arg(long)]
        role: String,
        /// The name shown in the app (default: the e-mail address).
        #[arg(long)]
        name: Option<String>,
        /// An association the account is limited to (a coordinator needs exactly one; a
        /// reviewer with none sees all). Repeat for several.
        #[arg(long = "association", value_name = "NAME")]
        associations: Vec<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the staff accounts.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
enum AssociationCommand {
    /// Give an association its display name (or a new one).
    Name {
        /// The association's code, as enrolments and staff accounts give it.
        code: String,
        /// The name people know it by, e.g. "Maseru Nurses' Association" (at most 120
        /// characters, on one line).
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the associations in use or named, with their names.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
enum FormCommand {
    /// Import an XLSForm (.xlsx, .xls, .csv, .md) or an XForm (.xml) and print its problems;
    /// exits 1 on errors.
    Check {
        /// The form file.
        file: PathBuf,
        /// A file the form reads (select_one_from_file, csv-external, xml-external,
        /// pulldata); repeat for several. Default: the files of those names next to the
        /// form.
        #[arg(long = "file", value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Print the imported form definition as JSON instead of the problems.
        #[arg(long)]
        json: bool,
    },
    /// Check a form (XLSForm or XForm) and publish it to the server's database (published versions never
    /// change: raise the version to publish a change).
    Publish {
        /// The form file: an XLSForm (.xlsx, .xls, .csv, .md) or an XForm (.xml).
        file: PathBuf,
        /// A file the form reads (select_one_from_file, csv-external, xml-external,
        /// pulldata); repeat for several. Default: the files of those names next to the
        /// form. Their data is published with the version.
        #[arg(long = "file", value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List the published forms.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Run the form engine over answers and print what is relevant, missing, invalid and
    /// computed, as JSON.
    Eval {
        /// The form file: an XLSForm (.xlsx, .xls, .csv, .md) or an XForm (.xml).
        file: PathBuf,
        /// The answers, as JSON: {"age": "34", "citizenships": ["ls"], "repeat": [{...}]}.
        #[arg(long, value_name = "ANSWERS.json")]
        answers: PathBuf,
        /// When the form is filled in, RFC 3339 (default: now).
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
        /// The language of labels and messages (default: the form's).
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
        /// The seed of random() and uuid(), to repeat a run.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// A file the form reads; repeat for several. Default: those next to the form.
        #[arg(long = "file", value_name = "FILE")]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,rusqlite_migration=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            // One line a person can act on, not a backtrace.
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Why a command failed: `main` prints it on one line after `error: `.
#[derive(Debug, thiserror::Error)]
enum CliError {
    /// `letsema backup` or `letsema restore`.
    #[error(transparent)]
    Backup(#[from] commands::backup::BackupError),
    /// `letsema backup` or `restore` with --database.
    #[error(
        "letsema {0} copies the embedded database only: back a PostgreSQL database up with \
         pg_dump (pg_dump --format=custom --file=letsema.dump \"$LETSEMA_DATABASE_URL\") and \
         restore it with pg_restore into an empty database, servers stopped, then run letsema \
         renew-epoch (see the README, \"When one machine is not enough\")"
    )]
    PostgresBackup(&'static str),
    /// `letsema form ...`.
    #[error(transparent)]
    Form(#[from] commands::form::FormCommandError),
    /// `letsema renew-epoch`.
    #[error(transparent)]
    Epoch(#[from] commands::epoch::EpochError),
    /// `letsema migrate`.
    #[error(transparent)]
    Migrate(#[from] commands::migrate::MigrateError),
    /// `letsema load`.
    #[error(transparent)]
    Load(#[from] commands::load::LoadError),
    /// `letsema review`.
    #[error(transparent)]
    Review(#[from] commands::review::ReviewError),
    /// `letsema export`.
    #[error(transparent)]
    Export(#[from] commands::export::ExportCommandError),
    /// `letsema import`.
    #[error(transparent)]
    Import(#[from] commands::import::ImportCommandError),
    /// `letsema audit`.
    #[error(transparent)]
    Audit(#[from] commands::audit::AuditCommandError),
    /// `letsema duplicates`.
    #[error(transparent)]
    Duplicates(#[from] commands::duplicates::DuplicatesCommandError),
    /// `letsema user ...`.
    #[error(transparent)]
    User(#[from] commands::user::UserCommandError),
    /// `letsema association ...`.
    #[error(transparent)]
    Association(#[from] commands::association::AssociationCommandError),
    /// The password of `--admin` or `--email` could not be read.
    #[error(transparent)]
    Password(#[from] commands::user::PasswordError),
    /// `letsema form eval --now` is not a time.
    #[error(
        "--now {text:?} is not an RFC 3339 time ({source}), such as \
         2026-06-15T09:00:00+02:00"
    )]
    Now {
        /// The value given.
        text: String,
        /// Why it is not a time.
        #[source]
        source: chrono::ParseError,
    },
    /// `letsema serve --listen` is not an address.
    #[error(transparent)]
    Listen(#[from] letsema_server::config::BadListenAddr),
    /// `--tls-cert` or `--tls-key` without the other.
    #[error(transparent)]
    Tls(#[from] letsema_server::config::TlsFlagAlone),
    /// The server's async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The server could not start.
    #[error(transparent)]
    Serve(#[from] letsema_server::ServeError),
}

/// Runs a command; `Ok(false)` means it ran but found problems (exit code 1).
fn run(cli: Cli) -> Result<bool, CliError> {
    match cli.command {
        Command::Form(FormCommand::Check { file, files, json }) => {
            let outcome =
                commands::form::check(&file, &files, json, &mut std::io::stdout().lock())?;
            Ok(!outcome.has_errors)
        }
        Command::Load {
            urls,
            submissions,
            devices,
            seed,
            enrolment,
            admin,
            ca_cert,
            phones_per_address,
            server_pid,
            json,
            first_sync_only,
            drain,
        } => {
            let enrolment = match (enrolment, admin) {
                (Some(link), _) => commands::load::Enrolment::Link(link),
                (None, Some(email)) => commands::load::Enrolment::Admin {
                    email,
                    password: commands::user::read_sign_in_password()?,
                },
                (None, None) => {
                    return Err(commands::load::LoadError::NoEnrolment.into());
                }
            };
            let options = commands::load::LoadOptions {
                urls,
                submissions,
                devices,
                seed,
                enrolment,
                ca_cert,
                phones_per_address,
                server_pid,
                json,
                first_sync_only,
                drain,
            };
            commands::load::run(&options, &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Review {
            url,
            email,
            submission,
            status,
            comment,
            ca_cert,
            association,
        } => {
            let options = commands::review::ReviewOptions {
                url,
                email,
                password: commands::user::read_sign_in_password()?,
                submission,
                status,
                comment,
                ca_cert,
                association,
            };
            commands::review::run(&options, &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Export(args) => {
            let parameters = args.parameters();
            let source = match (args.url, args.email) {
                (Some(url), Some(email)) => commands::export::Source::Server {
                    url,
                    email,
                    password: commands::user::read_sign_in_password()?,
                    ca_cert: args.ca_cert,
                },
                _ => commands::export::Source::Database(args.database.database()),
            };
            let options = commands::export::ExportOptions {
                parameters,
                output: args.output,
                force: args.force,
                progress: !args.quiet,
            };
            commands::export::run(&source, &options, &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Import {
            file,
            form,
            version,
            association,
            key,
            map,
            dry_run,
            quiet,
            database,
        } => {
            let request = letsema_server::import::ImportRequest {
                form,
                version,
                association,
                key,
                map,
                dry_run,
            };
            commands::import::run(
                &database.database(),
                &file,
                &request,
                quiet,
                &mut std::io::stdout().lock(),
            )?;
            Ok(true)
        }
        Command::Audit {
            action,
            actor,
            limit,
            json,
            database,
        } => {
            let query = letsema_server::store::AuditQuery {
                before: None,
                action,
                actor,
                limit,
            };
            commands::audit::run(
                &database.database(),
                &query,
                json,
                &mut std::io::stdout().lock(),
            )?;
            Ok(true)
        }
        Command::Duplicates {
            form,
            json,
            database,
        } => {
            commands::duplicates::run(
                &database.database(),
                form.as_deref(),
                json,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            )?;
            Ok(true)
        }
        Command::Backup { dest, database } => {
            let Database::Embedded(data_dir) = database.database() else {
                return Err(CliError::PostgresBackup("backup"));
            };
            commands::backup::backup(&data_dir, &dest, &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Restore { src, database } => {
            let Database::Embedded(data_dir) = database.database() else {
                return Err(CliError::PostgresBackup("restore"));
            };
            commands::backup::restore(&data_dir, &src, &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::RenewEpoch { database } => {
            commands::epoch::renew(&database.database(), &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Migrate { data_dir, to } => {
            commands::migrate::migrate(
                &data_dir,
                &to,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr().lock(),
            )?;
            Ok(true)
        }
        Command::User(UserCommand::Add {
            email,
            role,
            name,
            associations,
            database,
        }) => {
            let request = commands::user::AddUser {
                email,
                role,
                name,
                associations,
            };
            commands::user::add(
                &request,
                &database.database(),
                &mut std::io::stdout().lock(),
            )?;
            Ok(true)
        }
        Command::User(UserCommand::List { database }) => {
            commands::user::list(&database.database(), &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Association(AssociationCommand::Name {
            code,
            name,
            database,
        }) => {
            commands::association::name(
                &code,
                &name,
                &database.database(),
                &mut std::io::stdout().lock(),
            )?;
            Ok(true)
        }
        Command::Association(AssociationCommand::List { database }) => {
            commands::association::list(&database.database(), &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Form(FormCommand::Publish {
            file,
            files,
            database,
        }) => {
            commands::form::publish(
                &file,
                &files,
                &database.database(),
                &mut std::io::stdout().lock(),
            )?;
            Ok(true)
        }
        Command::Form(FormCommand::List { database }) => {
            commands::form::list(&database.database(), &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Form(FormCommand::Eval {
            file,
            answers,
            now,
            lang,
            seed,
            files,
        }) => {
            let now = match now {
                Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
                    .map_err(|source| CliError::Now { text, source })?,
                None => chrono::Local::now().fixed_offset(),
            };
            let options = commands::form::EvalOptions {
                answers,
                now,
                language: lang,
                seed,
                files,
            };
            commands::form::eval(&file, &options, &mut std::io::stdout().lock())?;
            Ok(true)
        }
        Command::Serve {
            listen,
            database,
            web_dir,
            demo,
            public_url,
            metrics_token,
            tls_cert,
            tls_key,
            trusted_proxies,
            max_connections,
            max_connections_per_address,
            sync_queue,
        } => {
            let listen: ListenAddr = listen.parse()?;
            let tls = TlsFiles::from_flags(tls_cert, tls_key)?;
            let config = ServeConfig {
                listen,
                database: database.database(),
                web_dir,
                demo,
                public_url,
                metrics_token,
                tls,
                timeouts: ConnectionTimeouts::default(),
                limits: ConnectionLimits {
                    total: max_connections,
                    per_address: max_connections_per_address,
                },
                trusted_proxies,
                sync_queue,
            };
            let runtime = letsema_server::serve::runtime().map_err(CliError::Runtime)?;
            runtime.block_on(async {
                let server = Server::bind(config).await?;
                // Before the address is printed: whoever reads it may stop the server at once.
                let shutdown = shutdown_signal();
                let url = server.url();
                tracing::info!(database = %server.database_description(), "database ready");
                // The address goes to standard output so that scripts and tests can read it.
                // One write, whose errors are ignored: a reader that takes only the first
                // line and closes the pipe (scripts, tests) must not stop the server.
                let mut announcement = format!("Letsema is serving {url} (Ctrl+C stops it)\n");
                if let Some(setup) = server.setup_url() {
                    announcement.push_str(&format!(
                        "No administrator yet: open {setup} to make the first one (the link \
                         works once, until the server restarts; `letsema user add` works too)\n"
                    ));
                }
                if let Some(demo) = server.demo_links() {
                    announcement.push_str(&format!(
                        "Demo: enrol a phone for the demo association: {}\n",
                        demo.enrolment
                    ));
                    if let Some(qr) = letsema_server::demo::terminal_qr(&demo.enrolment) {
                        announcement.push_str(&qr);
                        announcement.push('\n');
                    }
                    announcement.push_str(&format!(
                        "Demo: the reference form as a public survey: {}\n\
                         Demo: staff sign in at {url}staff/\n",
                        demo.survey
                    ));
                }
                {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(announcement.as_bytes());
                    let _ = out.flush();
                }
                server.run(shutdown).await;
                tracing::info!("stopped");
                Ok::<_, CliError>(true)
            })
        }
    }
}

/// A number of connections for `--max-connections` and `--max-connections-per-address`.
fn parse_connection_count(text: &str) -> Result<NonZeroUsize, String> {
    text.parse::<NonZeroUsize>().map_err(|_| {
        format!("{text:?} is not a number of connections: give a whole number of at least 1")
    })
}

/// A number of requests for `--sync-queue`.
fn parse_queue_size(text: &str) -> Result<NonZeroUsize, String> {
    text.parse::<NonZeroUsize>().map_err(|_| {
        format!("{text:?} is not a number of requests: give a whole number of at least 1")
    })
}

/// A review status by its name, for `--status`.
fn parse_review_status(name: &str) -> Result<letsema_doc::ReviewStatus, String> {
    letsema_doc::ReviewStatus::from_name(name).ok_or_else(|| {
        format!("{name:?} is not a review status: use received, has_issues, approved or rejected")
    })
}
