//! `letsema review`: a reviewer's verdict and comment on a submission, from the command line,
//! through the same sync as everyone else.
//!
//! It signs in at a running server, syncs the submissions the account may see into memory
//! (`/api/staff/sync`), and then lists them; given a submission, it shows its answers and
//! review, or sets its review status, adds a comment under the account's name and syncs the
//! change back. The phone that
//! made the submission receives both on its next sync and shows them to the volunteer, who
//! can correct it. (The staff area in the browser, `/staff`, does this and more for people;
//! this command serves operators and scripts.)
//!
//! It downloads every submission in the account's scope, so on a large server it is slow;
//! `--association CODE` downloads that association's only.

use std::io::Write;

use letsema_doc::{DocError, IdError, ReviewStatus, SubmissionId, Timestamp, Writer};
use letsema_sync::client::{Client, ClientConfig, ClientError};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::wire::DocId;

use super::remote::{RemoteError, SyncAs, http_client, sign_in, sync_to_end};

/// Why `letsema review` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// `--status` or `--comment` without a submission.
    #[error("give the submission's id to review (run without --status and --comment to list them)")]
    NoSubmission,
    /// The comment is blank.
    #[error("the comment is empty")]
    EmptyComment,
    /// The comment is longer than [`MAX_COMMENT_CHARS`].
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters: shorten it")]
    CommentTooLong,
    /// The submission's id is not one.
    #[error("{0}")]
    SubmissionId(#[source] IdError),
    /// The account may not see the submission, or there is none with the id.
    #[error(
        "there is no submission {id} that this account may review: check the id (run \
         without it to list them)"
    )]
    NotFound {
        /// The id given.
        id: String,
    },
    /// The server did not acknowledge the reviewed submission.
    #[error("the server did not acknowledge the review: try again")]
    NotAcknowledged,
    /// The async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// Signing in or syncing failed.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// A submission could not be opened or saved in memory.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The review could not be set or the comment added.
    #[error(transparent)]
    Document(#[from] DocError),
    /// The staff writer's ids could not be made from the account's id.
    #[error(transparent)]
    Id(#[from] IdError),
    /// The system gave no random numbers for the staff writer's session.
    #[error("no random numbers: {0}")]
    Random(#[source] getrandom::Error),
    /// The submission could not be shown as JSON.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The report could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

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
    /// Sync one association's submissions only (quick on a large server); none: every
    /// submission the account may see.
    pub association: Option<String>,
}

/// The longest comment accepted, in characters (a comment is for a volunteer's phone).
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// Runs the command; prints to `out`.
///
/// # Errors
///
/// What went wrong, in words that say what to do.
pub fn run(options: &ReviewOptions, out: &mut dyn Write) -> Result<(), ReviewError> {
    if options.submission.is_none() && (options.status.is_some() || options.comment.is_some()) {
        return Err(ReviewError::NoSubmission);
    }
    if let Some(comment) = &options.comment {
        if comment.trim().is_empty() {
            return Err(ReviewError::EmptyComment);
        }
        if comment.chars().count() > MAX_COMMENT_CHARS {
            return Err(ReviewError::CommentTooLong);
        }
    }
    let target = options
        .submission
        .as_deref()
        .map(|id| {
            SubmissionId::parse(id)
                .map(|id| DocId::from(&id))
                .map_err(ReviewError::SubmissionId)
        })
        .transpose()?;
    let runtime = tokio::runtime::Runtime::new().map_err(ReviewError::Runtime)?;
    runtime.block_on(run_async(options, target, out))
}

async fn run_async(
    options: &ReviewOptions,
    target: Option<DocId>,
    out: &mut dyn Write,
) -> Result<(), ReviewError> {
    let http = http_client(options.ca_cert.as_deref())?;
    let base = options.url.trim_end_matches('/');
    let mut session = sign_in(&http, base, &options.email, &options.password).await?;
    session.association.clone_from(&options.association);
    let writer = staff_writer(session.user_id)?;
    let who = SyncAs::Staff(session);
    let mut client = Client::new(ClientConfig::new(writer), MemoryClientStore::new());
    sync_to_end(&http, base, &who, &mut client).await?;

    let Some(target) = target else {
        let ids = client.store().doc_ids();
        writeln!(out, "{} submission(s) you may review:", ids.len())?;
        for id in ids {
            let Some(doc) = client.open_document(id)? else {
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
            )?;
        }
        return Ok(());
    };

    let Some(mut doc) = client.open_document(target)? else {
        return Err(ReviewError::NotFound {
            id: options.submission.clone().unwrap_or_default(),
        });
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
        let text = serde_json::to_string_pretty(&shown)?;
        writeln!(out, "{text}")?;
        return Ok(());
    }
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    );
    if let Some(status) = options.status {
        doc.set_review_status(status, now)?;
    }
    if let Some(comment) = &options.comment {
        doc.add_comment(comment.trim(), now)?;
    }
    client.save_document(&mut doc)?;
    let sent = sync_to_end(&http, base, &who, &mut client).await?;
    if sent.documents == 0 {
        return Err(ReviewError::NotAcknowledged);
    }
    let review = doc.review();
    writeln!(
        out,
        "{}: {}, {} comment(s). The phone receives it on its next sync.",
        doc.meta().submission_id,
        review.status.map_or("not reviewed", ReviewStatus::as_str),
        review.comments.len()
    )?;
    Ok(())
}

/// The writer of a staff member's changes, with a fresh session.
fn staff_writer(user_id: i64) -> Result<Writer, ReviewError> {
    let mut session = [0u8; 16];
    getrandom::fill(&mut session).map_err(ReviewError::Random)?;
    Ok(crate::routes::sync::staff_writer(user_id, session)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Options against a server that is never reached: every case is refused first.
    fn options(submission: Option<&str>, comment: Option<&str>) -> ReviewOptions {
        ReviewOptions {
            url: "http://127.0.0.1:9".to_owned(),
            email: "reviewer@example.org".to_owned(),
            password: "a long enough password".to_owned(),
            submission: submission.map(str::to_owned),
            status: None,
            comment: comment.map(str::to_owned),
            ca_cert: None,
            association: None,
        }
    }

    #[test]
    fn the_request_is_checked_before_the_server_is_asked() {
        let run = |options: ReviewOptions| run(&options, &mut Vec::new()).expect_err("refused");
        assert!(matches!(
            run(options(None, Some("check the phone number"))),
            ReviewError::NoSubmission
        ));
        let id = "0191f5a2-8c3e-7c4a-9f1e-2b7d4c6a8e01";
        assert!(matches!(
            run(options(Some(id), Some("  "))),
            ReviewError::EmptyComment
        ));
        let long = "x".repeat(MAX_COMMENT_CHARS + 1);
        assert!(matches!(
            run(options(Some(id), Some(&long))),
            ReviewError::CommentTooLong
        ));
        assert!(matches!(
            run(options(Some("not-an-id"), None)),
            ReviewError::SubmissionId(_)
        ));
    }
}
