//! The audit log, the same for every backend: what an entry records ([`AuditEntry`]) and
//! what a reader may ask ([`AuditQuery`]). The log is append-only: no route changes it, and
//! both databases refuse to (SQLite's migration 0016, PostgreSQL's 0005). It names people
//! by id and never copies what a submission holds.

pub use letsema_protocol::staff::{AuditPage, AuditRecord};

use super::QueryError;
use super::submissions::plain;

/// Entries in a page unless the query asks for another number.
pub const DEFAULT_AUDIT_ROWS: usize = 100;
/// The most entries a page may have.
pub const MAX_AUDIT_ROWS: usize = 1000;

/// A new entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// `user:ID`, `cli`, `device:ID`.
    pub actor: String,
    /// `export`, `import`, `odata.read`, ...
    pub action: String,
    /// Which filter, file, account or device; never a member's personal data.
    pub detail: String,
    /// The network address of the request; none for a command run on the server.
    pub address: Option<String>,
}

/// A page of the log, newest first: entries before the cursor, of one action or actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// Entries with an id below this one (the previous page's `next`).
    pub before: Option<i64>,
    pub action: Option<String>,
    pub actor: Option<String>,
    pub limit: usize,
}

impl Default for AuditQuery {
    fn default() -> Self {
        AuditQuery {
            before: None,
            action: None,
            actor: None,
            limit: DEFAULT_AUDIT_ROWS,
        }
    }
}

impl AuditQuery {
    /// A query from a URL's decoded `name=value` pairs: `before`, `action`, `actor`, `limit`.
    ///
    /// # Errors
    ///
    /// The first parameter that is unknown or malformed.
    pub fn from_pairs(
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, QueryError> {
        let mut query = AuditQuery::default();
        for (name, value) in pairs {
            let invalid = |parameter: &'static str, why: &str| QueryError::Invalid {
                parameter,
                why: why.to_owned(),
            };
            match name.as_str() {
                "before" => {
                    query.before = Some(value.parse().map_err(|_| {
                        invalid(
                            "before",
                            "pass the `next` value of the previous page as it is",
                        )
                    })?);
                }
                "action" => query.action = Some(plain(&value, "action")?),
                "actor" => query.actor = Some(plain(&value, "actor")?),
                "limit" => {
                    query.limit = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_AUDIT_ROWS).contains(n))
                        .ok_or_else(|| invalid("limit", "a number from 1 to 1000"))?;
                }
                _ => {
                    return Err(QueryError::Invalid {
                        parameter: "audit",
                        why: format!(
                            "unknown parameter {name:?}: use before, action, actor or limit"
                        ),
                    });
                }
            }
        }
        Ok(query)
    }
}

/// The page from the rows a backend read: up to `limit + 1`, the extra one only saying that
/// there is a next page.
pub fn audit_page(mut rows: Vec<AuditRecord>, limit: usize) -> AuditPage {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|row| row.id.to_string())
    } else {
        None
    };
    AuditPage {
        entries: rows,
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(text: &str) -> Result<AuditQuery, QueryError> {
        AuditQuery::from_pairs(
            form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
    }

    #[test]
    fn an_audit_query_reads_its_four_parameters_and_refuses_anything_else() {
        let read = query("action=export&actor=user:3&before=42&limit=7").expect("valid");
        assert_eq!(read.action.as_deref(), Some("export"));
        assert_eq!(read.actor.as_deref(), Some("user:3"));
        assert_eq!(read.before, Some(42));
        assert_eq!(read.limit, 7);
        assert_eq!(query("").expect("valid"), AuditQuery::default());
        for bad in [
            "limit=0",
            "limit=1001",
            "before=x",
            "action=",
            "actor=a%00b",
            "colour=red",
        ] {
            assert!(query(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_page_says_where_the_next_starts_only_when_there_is_one() {
        let entry = |id| AuditRecord {
            id,
            at: String::new(),
            actor: "cli".to_owned(),
            action: "export".to_owned(),
            detail: String::new(),
            address: None,
        };
        let page = audit_page(vec![entry(9), entry(8), entry(7)], 2);
        assert_eq!(page.entries.len(), 2);
        assert_eq!(page.next.as_deref(), Some("8"));
        assert_eq!(audit_page(vec![entry(9)], 2).next, None);
    }
}
