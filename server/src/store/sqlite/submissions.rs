//! [`SubmissionStore`] over SQLite: a page of the staff's table from the `submissions`
//! projection (migration 0014).
//!
//! A page is read in creation order, `(created_at, doc_id)`, from the one index that serves
//! its most selective filter: a choice filter walks `submission_choices` in that order for
//! its (question, value); otherwise SQLite's planner picks among the projection's indexes
//! (by association, status, form, the partial ones for issues and conflicts, or by time
//! alone). A text search is FTS5's (`submission_search`), every word a prefix; its matches
//! are sorted, which is why a word has two characters at least. The boolean
//! filters are written into the SQL as literals, so that the partial indexes apply.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::SqliteStore;
use crate::store::submissions::{Dialect, Param, export_sql, page_sql};
use crate::store::{
    Cursor, ExportBatch, ExportRow, SubmissionPage, SubmissionQuery, SubmissionRow,
    SubmissionStore, ValidateError, page_from_rows,
};
use letsema_protocol::sync::DocId;

/// SQLite's part of a page's SQL.
pub(super) const SQLITE: Dialect = Dialect {
    placeholder: |n| format!("?{n}"),
    complete: ["s.complete = 0", "s.complete = 1"],
    // Several associations: walked in time order and checked row by row (`+` keeps SQLite
    // from reading each association's rows and sorting them all).
    several_associations: |list| format!("+s.association IN ({list})"),
    text_query: SubmissionQuery::fts5_match,
    text_search: |param| {
        format!(
            "s.rowid IN (SELECT rowid FROM submission_search WHERE submission_search MATCH {param})"
        )
    },
    answers_text: "json(s.answers)",
};

impl SubmissionStore for SqliteStore {
    fn submissions(&self, query: &SubmissionQuery) -> Result<SubmissionPage, ValidateError> {
        if query.matches_nothing() {
            return Ok(page_from_rows(Vec::new(), query.limit));
        }
        let (sql, params) = page_sql(query, &SQLITE);
        let values = params.into_iter().map(value);
        let conn = self.reader();
        let mut statement = conn.prepare_cached(&sql)?;
        let rows = statement
            .query_map(params_from_iter(values), row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(page_from_rows(rows, query.limit))
    }

    fn export_batch(&self, query: &SubmissionQuery) -> Result<ExportBatch, ValidateError> {
        if query.matches_nothing() {
            return Ok(ExportBatch::default());
        }
        let (sql, params) = export_sql(query, &SQLITE);
        let conn = self.reader();
        let mut statement = conn.prepare_cached(&sql)?;
        let rows = statement
            .query_map(params_from_iter(params.into_iter().map(value)), |r| {
                let (cursor, table_row) = row(r)?;
                Ok((
                    cursor,
                    ExportRow {
                        row: table_row,
                        answers: r.get(12)?,
                        comments: r.get(13)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ExportBatch::from_rows(rows, query.limit))
    }
}

pub(super) fn value(param: Param) -> Value {
    match param {
        Param::Text(text) => Value::Text(text),
        Param::Integer(number) => Value::Integer(number),
        Param::Blob(bytes) => Value::Blob(bytes),
    }
}

fn row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Cursor, SubmissionRow)> {
    let doc_id = DocId(row.get(0)?);
    let created_at: i64 = row.get(5)?;
    let issues: String = row.get(9)?;
    let conflicts: i64 = row.get(10)?;
    Ok((
        Cursor { created_at, doc_id },
        SubmissionRow {
            id: doc_id.to_string(),
            form_id: row.get(1)?,
            form_version: row.get(2)?,
            association: row.get(3)?,
            device: row.get(4)?,
            created_at,
            review_status: row.get(6)?,
            instance_name: row.get(7)?,
            complete: row.get(8)?,
            issues: serde_json::from_str(&issues).unwrap_or_default(),
            conflicts: u32::try_from(conflicts).unwrap_or(0),
            withdrawn: row.get(11)?,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AssociationScope;

    fn query(scope: AssociationScope, text: &str) -> SubmissionQuery {
        let pairs =
            form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()));
        SubmissionQuery::from_pairs(scope, pairs).expect("a query")
    }

    /// Every page is read in page order from an index, and never sorted whole: no scan of
    /// the table, and no temporary b-tree for ORDER BY, but for a text search, whose
    /// matches come from the text index and are sorted (words have two characters at
    /// least, so that the matches stay few).
    #[test]
    fn every_page_walks_an_index_in_page_order() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let conn = store.reader();
        let cursor = "&after=1780000000000.000102030405060708090a0b0c0d0e0f";
        let own = AssociationScope::Only(vec!["a".to_owned(), "b".to_owned()]);
        for (scope, text) in [
            (AssociationScope::All, ""),
            (AssociationScope::All, "order=oldest"),
            (own.clone(), ""),
            (AssociationScope::All, "association=a"),
            (AssociationScope::All, "status=has_issues"),
            (AssociationScope::All, "form=f&version=1"),
            (AssociationScope::All, "form=f"),
            (AssociationScope::All, "form=f&order=oldest"),
            (AssociationScope::All, "complete=false"),
            (AssociationScope::All, "conflicts=true"),
            (AssociationScope::All, "from=2026-01-01&to=2026-01-31"),
            (AssociationScope::All, "choice=country:uk"),
            (
                own.clone(),
                "choice=country:uk&choice=profession:nurse&status=received",
            ),
            (AssociationScope::All, "q=mpho"),
        ] {
            // A page of the table, and a batch of an export (the same query, more columns).
            let pages = [text.to_owned(), format!("{text}{cursor}")].map(|text| {
                let asked = query(scope.clone(), &text);
                [
                    (text.clone(), page_sql(&asked, &SQLITE).0),
                    (text, export_sql(&asked, &SQLITE).0),
                ]
            });
            for (text, sql) in pages.into_iter().flatten() {
                let plan = crate::store::sqlite::query_plan(&conn, &sql);
                let joined = plan.join(" | ");
                if text.starts_with("q=") {
                    // A text search reads its matches from the text index and sorts those.
                    assert!(joined.contains("VIRTUAL TABLE INDEX"), "{text}: {joined}");
                } else {
                    assert!(
                        !joined.contains("TEMP B-TREE FOR ORDER BY"),
                        "{text}: sorted whole: {joined}"
                    );
                }
                for step in &plan {
                    let scans_table = step.starts_with("SCAN")
                        && !step.contains("USING INDEX")
                        && !step.contains("USING COVERING INDEX")
                        && !step.contains("VIRTUAL TABLE");
                    assert!(!scans_table, "{text}: {joined}");
                }
            }
        }
    }
}
