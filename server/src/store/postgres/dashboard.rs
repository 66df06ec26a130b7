//! [`DashboardStore`] over PostgreSQL: the dashboard's one query (`store/dashboard.rs`'s
//! `rows_sql`, as SQLite runs it), the answers counted read from the generated columns of
//! migration 0008 (an index-only scan of `submissions_dashboard`, migration 0008, when no
//! choice filter or text search drives it), the rows counted into a [`Tally`] as they
//! arrive.

use futures_util::{TryStreamExt, pin_mut};

use super::PostgresStore;
use super::submissions::{POSTGRES, as_sql};
use crate::store::dashboard::{DashboardDialect, integer, rows_sql};
use crate::store::{DashboardQuery, DashboardStore, Tally, TallyRow, ValidateError};

/// PostgreSQL's part of the dashboard's SQL.
const POSTGRES_ANSWERS: DashboardDialect = DashboardDialect {
    not_withdrawn: "NOT s.withdrawn",
    // Migration 0008's generated columns: the answers themselves are stored out of line.
    answer: |name| format!("s.\"answer_{name}\""),
    index: None,
};

impl DashboardStore for PostgresStore {
    fn dashboard_counts(&self, query: &DashboardQuery) -> Result<Tally, ValidateError> {
        let mut tally = Tally::new(&query.fields);
        if query.filters.matches_nothing() {
            return Ok(tally);
        }
        let (sql, values) = rows_sql(query, &POSTGRES, &POSTGRES_ANSWERS);
        self.run(async move {
            let client = self.client().await.map_err(ValidateError::Database)?;
            // Streamed: the rows are counted as they arrive, never all held at once.
            let rows = client
                .query_raw(sql.as_str(), values.iter().map(as_sql))
                .await?;
            pin_mut!(rows);
            while let Some(row) = rows.try_next().await? {
                tally.add(&TallyRow {
                    association: row.try_get(0)?,
                    creator: row.try_get::<_, Option<&str>>(1)?.unwrap_or_default(),
                    created_at: row.try_get(2)?,
                    review_status: row.try_get(3)?,
                    complete: row.try_get(4)?,
                    conflicts: row.try_get(5)?,
                    country: row.try_get(6)?,
                    region: row.try_get(7)?,
                    profession: row.try_get(8)?,
                    specialisation: row.try_get(9)?,
                    engagement: row.try_get(10)?,
                    months_available: integer(row.try_get(11)?),
                    years_abroad: integer(row.try_get(12)?),
                });
            }
            Ok(tally)
        })
    }
}
