//! Errors and the limits applied to bytes from outside.

use crate::ids::SubmissionId;
use crate::schema::SchemaError;

/// Bounds applied before and after decoding bytes that came from outside.
///
/// The defaults suit submissions: a 40-field registration edited a few dozen times is a few
/// kilobytes, so 4 MiB leaves room for long histories while stopping a hostile upload
/// before automerge decodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The largest saved document accepted by [`crate::SubmissionDoc::load_with_limits`].
    pub max_document_bytes: usize,
    /// The largest incremental save accepted by [`crate::SubmissionDoc::load_incremental`].
    pub max_incremental_bytes: usize,
    /// The most changes a document may hold after loading. History and conflict listing
    /// walk every change, so this bounds their cost too.
    pub max_changes: usize,
    /// The most operations received changes may hold when they are rebuilt from the compact
    /// encoding ([`crate::expand_compact`]): automerge's memory grows with them (about
    /// 400 bytes each while applying).
    pub max_ops: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 4 * 1024 * 1024,
            max_incremental_bytes: 1024 * 1024,
            max_changes: 20_000,
            max_ops: 100_000,
        }
    }
}

/// Bytes that could not be loaded as a submission document.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The input is larger than the limit; nothing was decoded.
    #[error(
        "the submission is {size} bytes, more than the limit of {limit}; raise `Limits` if such documents are expected, otherwise reject it"
    )]
    TooLarge {
        /// The input's size.
        size: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// automerge rejected the bytes.
    #[error(
        "the bytes are not a valid automerge document ({reason}); fetch the submission again from where it came"
    )]
    Corrupt {
        /// automerge's reason.
        reason: String,
    },
    /// automerge panicked while decoding; the partial document was thrown away.
    #[error(
        "automerge failed while decoding these bytes (they are malformed or hostile); reject them, the existing document is unchanged"
    )]
    Panicked,
    /// The bytes hold changes whose dependencies are missing.
    #[error(
        "the bytes depend on {count} changes this document does not have; load the full document or the missing changes first"
    )]
    MissingDependencies {
        /// How many changes are missing.
        count: usize,
    },
    /// The document holds more changes than allowed.
    #[error(
        "the submission holds {count} changes, more than the limit of {limit}; raise `Limits::max_changes` if that is expected, otherwise reject it"
    )]
    TooManyChanges {
        /// How many changes it holds.
        count: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// A received change is numbered in a way automerge never writes: the document would
    /// take it, then save into bytes that no longer load. Nothing was kept.
    #[error(
        "change {change} was refused: {rule}. automerge never writes such a change (it was forged or damaged), and keeping it would make the submission unreadable; nothing was kept"
    )]
    OutOfOrder {
        /// The change's hash.
        change: String,
        /// The rule it breaks.
        rule: &'static str,
    },
    /// The document, with the changes just taken, saves into bytes that do not load back
    /// as the same document. Whoever took the changes must drop them.
    #[error(
        "with these changes the submission would save into bytes that do not load ({reason}); the changes were refused and nothing was kept"
    )]
    Unsaveable {
        /// What went wrong on loading.
        reason: String,
    },
    /// The document decoded but is not a well-formed submission.
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

/// An edit or merge that could not be made. The document is unchanged when one is returned.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// An answer or choice name is empty.
    #[error("an empty name was given at `{path}`; field and choice names must not be empty")]
    EmptyName {
        /// Where.
        path: String,
    },
    /// An answer nests repeats too deeply.
    #[error(
        "the answer at `{path}` nests repeats more than {max} levels deep; flatten the form's repeats"
    )]
    TooDeep {
        /// Where.
        path: String,
        /// The deepest nesting allowed.
        max: usize,
    },
    /// There is nothing at a path.
    #[error(
        "there is no {expected} at `{path}`; it may have been removed on another device: read the document again"
    )]
    NotFound {
        /// The path.
        path: String,
        /// What was looked for.
        expected: &'static str,
    },
    /// A value of the wrong kind was given for a field.
    #[error("`{path}` takes {expected}; pass a value of that kind")]
    WrongKind {
        /// The field.
        path: String,
        /// What it takes.
        expected: &'static str,
    },
    /// A comment needs an author, and the writer has no user.
    #[error("comments need an author: open the document with a `Writer` that has a user")]
    NoAuthor,
    /// The two documents are different submissions.
    #[error("cannot merge submission {theirs} into {ours}: they are different submissions")]
    DifferentSubmission {
        /// This document's id.
        ours: SubmissionId,
        /// The other document's id.
        theirs: SubmissionId,
    },
    /// The two documents share an id but disagree on how they were created.
    #[error(
        "submission {id} exists in two versions with different creation facts (form, creator or time); keep both documents and report it, do not merge them"
    )]
    DifferentMeta {
        /// The shared id.
        id: SubmissionId,
    },
    /// automerge refused an operation.
    #[error("automerge refused the edit ({0}); this is a bug in letsema-doc, please report it")]
    Automerge(#[from] automerge::AutomergeError),
}
