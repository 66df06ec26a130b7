//! `letsema review`: a reviewer's verdict and comment on a submission, from the command line,
//! through the same sync as everyone else.
//!
//! It signs in at a running server, syncs the submissions the account may see into memory
//! (`/api/staff/sync`), and then lists them; given a submission, it shows its answers and
//! review, or sets its review status, adds a comment under the account's name and syncs the
//! change back. The phone that
//! made the submission receives both on its next sync and shows them to the volunteer, who
//! can correct it. (The staff workspace in the browser will do the same for people; this
//! command serves operators and the end-to-end tests meanwhile.)
//!
//! It downloads every submission in the account's scope, so on a large server it is slow:
//! a reviewer limited to one association is the quick case.

use std::io::Write;

use letsema_doc::{DeviceId, ReviewStatus, SessionId, SubmissionId, Timestamp, UserId, Writer};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::wire::DocId;

use super::remote::{SyncAs, http_client, sign_in, sync_to_end};

/// What `letsema review` was asked to do.
#[derive(Debug, Clone)]
pub struct ReviewOptions {
    /// The server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// The staff account.
    pub email: String,
    /// Its password.
    pub password: String,
    /// The submission to show or review; none: list what the account may review.
    pub submission: Option<String>,
    /// The verdict to set.
    pub status: Option<ReviewStatus>,
    /// A comment to add.
    pub comment: Option<String>,
    /// A PEM file of certificates to trust besides the system's (for `https://`).
    pub ca_cert: Option<std::path::PathBuf>,
}

/// The longest comment accepted, in characters (a comment is for a volunteer's phone).
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// Runs the command; prints to `out`.
///
/// # Errors
///
/// What went wrong, in words that say what to do.
pub fn run(options: &ReviewOptions, out: &mut dyn Write) -> Result<(), String> {
    if options.submission.is_none() && (options.status.is_some() || options.comment.is_some()) {
        return Err(
            "give the submission's id to review (run without --status and --comment \
                    to list them)"
                .to_owned(),
        );
    }
    if let Some(comment) = &options.comment {
        if comment.trim().is_empty() {
            return Err("the comment is empty".to_owned());
        }
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(format!(
                "the comment is longer than {MAX_COMMENT_CHARS} characters: shorten it"
            ));
        }
    }
    let target = options
        .submission
        .as_deref()
        .map(|id| {
            SubmissionId::parse(id)
                .map(|id| DocId::from(&id))
                .map_err(|e| format!("{e}"))
        })
        .transpose()?;
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(run_async(options, target, out))
}

async fn run_async(
    options: &ReviewOptions,
    target: Option<DocId>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let write_err = |e: std::io::Error| format!("cannot write the output: {e}");
    let http = http_client(options.ca_cert.as_deref()).map_err(|e| e.to_string())?;
    let base = options.url.trim_end_matches('/');
    let session = sign_in(&http, base, &options.email, &options.password)
        .await
        .map_err(|e| e.to_string())?;
    let writer = staff_writer(session.user_id)?;
    let who = SyncAs::Staff(session);
    let mut client = Client::new(ClientConfig::new(writer), MemoryClientStore::new());
    sync_to_end(&http, base, &who, &mut client)
        .await
        .map_err(|e| e.to_string())?;

    let Some(target) = target else {
        let ids = client.store().doc_ids();
        writeln!(out, "{} submission(s) you may review:", ids.len()).map_err(write_err)?;
        for id in ids {
            let Some(doc) = client.open_document(id).map_err(|e| e.to_string())? else {
                continue;
            };
            let meta = doc.meta();
            let review = doc.review();
            writeln!(
                out,
                "{}  form {}  association {}  {}  {} comment(s)",
                meta.submission_id,
                meta.form_id,
                meta.association
                    .as_ref()
                    .map_or("-", |association| association.as_str()),
                review.status.map_or("not reviewed", ReviewStatus::as_str),
                review.comments.len()
            )
            .map_err(write_err)?;
        }
        return Ok(());
    };

    let Some(mut doc) = client.open_document(target).map_err(|e| e.to_string())? else {
        return Err(format!(
            "there is no submission {} that this account may review: check the id (run \
             without it to list them)",
            options.submission.as_deref().unwrap_or_default()
        ));
    };
    if options.status.is_none() && options.comment.is_none() {
        let review = doc.review();
        let shown = serde_json::json!({
            "submission": doc.meta().submission_id,
            "form": doc.meta().form_id,
            "association": doc.meta().association,
            "status": review.status,
            "comments": review.comments.iter().map(|c| &c.text).collect::<Vec<_>>(),
            "answers": doc.answers(),
        });
        let text = serde_json::to_string_pretty(&shown).map_err(|e| e.to_string())?;
        writeln!(out, "{text}").map_err(write_err)?;
        return Ok(());
    }
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    );
    if let Some(status) = options.status {
        doc.set_review_status(status, now)
            .map_err(|e| e.to_string())?;
    }
    if let Some(comment) = &options.comment {
        doc.add_comment(comment.trim(), now)
            .map_err(|e| e.to_string())?;
    }
    client.save_document(&mut doc).map_err(|e| e.to_string())?;
    let sent = sync_to_end(&http, base, &who, &mut client)
        .await
        .map_err(|e| e.to_string())?;
    if sent.documents == 0 {
        return Err("the server did not acknowledge the review: try again".to_owned());
    }
    let review = doc.review();
    writeln!(
        out,
        "{}: {}, {} comment(s). The phone receives it on its next sync.",
        doc.meta().submission_id,
        review.status.map_or("not reviewed", ReviewStatus::as_str),
        review.comments.len()
    )
    .map_err(write_err)?;
    Ok(())
}

/// The writer of a staff member's changes: the actor device the server expects of their
/// account (`staff-<id>`), a fresh session, and the account as the comments' author.
fn staff_writer(user_id: i64) -> Result<Writer, String> {
    let device = DeviceId::parse(&crate::routes::sync::staff_device_id(user_id))
        .map_err(|e| e.to_string())?;
    let mut session = [0u8; 16];
    getrandom::fill(&mut session).map_err(|e| format!("no random numbers: {e}"))?;
    let session = SessionId::from_bytes(&session).map_err(|e| e.to_string())?;
    let user = UserId::parse(&format!("staff-{user_id}")).map_err(|e| e.to_string())?;
    Ok(Writer::new(device, session, Some(user)))
}
