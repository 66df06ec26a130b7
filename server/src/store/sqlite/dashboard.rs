//! [`DashboardStore`] over SQLite: the dashboard's one query (`store/dashboard.rs`'s
//! `rows_sql`, over the table's filters) read row by row into a [`Tally`]. Without a
//! choice filter or a text search it reads the index `submissions_dashboard` alone
//! (migration 0019), which holds the answers counted and the device: the projection's rows,
//! with the whole answers and the search text, are never read.

use rusqlite::params_from_iter;
use rusqlite::types::ValueRef;

use super::SqliteStore;
use super::submissions::{SQLITE, value};
use crate::store::dashboard::{DashboardDialect, integer, rows_sql};
use crate::store::{DashboardQuery, DashboardStore, Tally, TallyRow, ValidateError};

/// SQLite's part of the dashboard's SQL.
const SQLITE_ANSWERS: DashboardDialect = DashboardDialect {
    not_withdrawn: "s.withdrawn = 0",
    // A path of one quoted key (a question's name may hold a dot), written as migration
    // 0019's index writes it.
    answer: |name| format!("s.answers ->> '$.\"{name}\"'"),
    index: Some("submissions_dashboard"),
};

impl DashboardStore for SqliteStore {
    fn dashboard_counts(&self, query: &DashboardQuery) -> Result<Tally, ValidateError> {
        let mut tally = Tally::new(&query.fields);
        if query.filters.matches_nothing() {
            return Ok(tally);
        }
        let (sql, params) = rows_sql(query, &SQLITE, &SQLITE_ANSWERS);
        let conn = self.reader();
        let mut statement = conn.prepare_cached(&sql)?;
        let mut rows = statement.query(params_from_iter(params.into_iter().map(value)))?;
        while let Some(row) = rows.next()? {
            let text = |i: usize| -> rusqlite::Result<Option<&str>> {
                Ok(match row.get_ref(i)? {
                    ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok(),
                    _ => None,
                })
            };
            // An integer answer is text ("12"); JSON numbers come back as numbers.
            let number = |i: usize| -> rusqlite::Result<Option<i64>> {
                Ok(match row.get_ref(i)? {
                    ValueRef::Integer(n) => Some(n),
                    ValueRef::Text(bytes) => integer(std::str::from_utf8(bytes).ok()),
                    _ => None,
                })
            };
            tally.add(&TallyRow {
                association: text(0)?,
                creator: text(1)?.unwrap_or_default(),
                created_at: row.get(2)?,
                review_status: text(3)?.unwrap_or_default(),
                complete: row.get(4)?,
                conflicts: row.get(5)?,
                country: text(6)?,
                region: text(7)?,
                profession: text(8)?,
                specialisation: text(9)?,
                engagement: text(10)?,
                months_available: number(11)?,
                years_abroad: number(12)?,
            });
        }
        Ok(tally)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::AssociationScope;

    fn query(scope: AssociationScope, text: &str) -> DashboardQuery {
        let pairs =
            form_urlencoded::parse(text.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()));
        DashboardQuery::from_pairs(scope, pairs).expect("a query")
    }

    /// The cursors a statement's bytecode opens on the `submissions` table itself, and
    /// whether any column is read through one of them.
    fn reads_projection_rows(conn: &rusqlite::Connection, sql: &str) -> bool {
        let root: i64 = conn
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name = 'submissions'",
                [],
                |row| row.get(0),
            )
            .expect("the table's root page");
        let mut statement = conn
            .prepare(&format!("EXPLAIN {sql}"))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let nulls = std::iter::repeat_n(rusqlite::types::Null, statement.parameter_count());
        let program: Vec<(String, i64, i64)> = statement
            .query_map(params_from_iter(nulls), |row| {
                Ok((row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .and_then(|rows| rows.collect())
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let cursors: Vec<i64> = program
            .iter()
            .filter(|(opcode, _, page)| opcode == "OpenRead" && *page == root)
            .map(|(_, cursor, _)| *cursor)
            .collect();
        program
            .iter()
            .any(|(opcode, cursor, _)| opcode == "Column" && cursors.contains(cursor))
    }

    /// The dashboard of a form, of an association or several, or filtered by the table's
    /// columns, reads `submissions_dashboard` alone: the answers it counts come from the
    /// index, never from the projection's rows (which hold the whole answers and the search
    /// text). A choice filter or a text search starts from its own index, as a page does.
    #[test]
    fn the_dashboard_reads_its_index_and_never_the_projections_rows() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = SqliteStore::open(dir.path()).expect("opens");
        let conn = store.reader();
        let own = AssociationScope::Only(vec!["a".to_owned(), "b".to_owned()]);
        for (scope, text) in [
            (AssociationScope::All, "form=f"),
            (own.clone(), "form=f"),
            (AssociationScope::Only(vec!["a".to_owned()]), "form=f"),
            (
                AssociationScope::All,
                "form=f&version=1&association=a&status=approved&from=2026-01-01&to=2026-01-31\
                 &complete=false&conflicts=true",
            ),
        ] {
            let (sql, _) = rows_sql(&query(scope, text), &SQLITE, &SQLITE_ANSWERS);
            let plan = crate::store::sqlite::query_plan(&conn, &sql).join(" | ");
            assert!(
                plan.contains("USING INDEX submissions_dashboard (form_id=?"),
                "{text}: {plan}"
            );
            assert!(!reads_projection_rows(&conn, &sql), "{text}: {sql}");
        }
        for (text, first) in [
            (
                "form=f&choice=country:uk",
                "SEARCH c USING PRIMARY KEY (field=? AND value=?)",
            ),
            // The text index's matches, checked against the dashboard's index.
            (
                "form=f&q=mpho",
                "SEARCH s USING INDEX submissions_dashboard",
            ),
        ] {
            let (sql, _) = rows_sql(
                &query(AssociationScope::All, text),
                &SQLITE,
                &SQLITE_ANSWERS,
            );
            let plan = crate::store::sqlite::query_plan(&conn, &sql);
            assert!(plan[0].starts_with(first), "{text}: {plan:?}");
            assert!(
                !plan
                    .iter()
                    .any(|step| step == "SCAN s" || step.starts_with("SCAN s ")),
                "{text}: {plan:?}"
            );
        }
    }
}
