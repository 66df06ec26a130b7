//! [`SubmissionStore`] over PostgreSQL: a page of the staff's table from the `submissions`
//! projection (migration 0003), the same query as SQLite's (`sqlite/submissions.rs`) with
//! PostgreSQL's text search: `search_vector @@ to_tsquery('simple', ...)` through its GIN
//! index, every word a prefix. The boolean filters are literals, so that the partial
//! indexes apply.

use tokio_postgres::types::ToSql;

use super::PostgresStore;
use crate::store::submissions::{Dialect, Param, export_sql, page_sql};
use crate::store::sync::doc_id_from_blob;
use crate::store::{
    Cursor, ExportBatch, ExportRow, SubmissionPage, SubmissionQuery, SubmissionRow,
    SubmissionStore, ValidateError, page_from_rows,
};

impl SubmissionStore for PostgresStore {
    fn submissions(&self, query: &SubmissionQuery) -> Result<SubmissionPage, ValidateError> {
        if query.matches_nothing() {
            return Ok(page_from_rows(Vec::new(), query.limit));
        }
        let (sql, values) = page_sql(query, &POSTGRES);
        self.run(async {
            let client = self.client().await.map_err(ValidateError::Database)?;
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(as_sql).collect();
            // Not kept prepared: the filters combine into many texts, and a connection's
            // cache of prepared statements would keep every one.
            let rows = client.query(sql.as_str(), &params).await?;
            let rows = rows.iter().map(row).collect::<Result<Vec<_>, _>>()?;
            Ok(page_from_rows(rows, query.limit))
        })
    }

    fn export_batch(&self, query: &SubmissionQuery) -> Result<ExportBatch, ValidateError> {
        if query.matches_nothing() {
            return Ok(ExportBatch::default());
        }
        let (sql, values) = export_sql(query, &POSTGRES);
        self.run(async {
            let client = self.client().await.map_err(ValidateError::Database)?;
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(as_sql).collect();
            let rows = client.query(sql.as_str(), &params).await?;
            let rows = rows
                .iter()
                .map(|r| {
                    let (cursor, table_row) = row(r)?;
                    Ok((
                        cursor,
                        ExportRow {
                            row: table_row,
                            answers: r.try_get(12)?,
                            comments: r.try_get(13)?,
                        },
                    ))
                })
                .collect::<Result<Vec<_>, ValidateError>>()?;
            Ok(ExportBatch::from_rows(rows, query.limit))
        })
    }
}

/// PostgreSQL's part of a page's SQL.
pub(super) const POSTGRES: Dialect = Dialect {
    placeholder: |n| format!("${n}"),
    complete: ["NOT s.complete", "s.complete"],
    several_associations: |list| format!("s.association IN ({list})"),
    text_query: SubmissionQuery::tsquery,
    text_search: |param| format!("s.search_vector @@ to_tsquery('simple', {param})"),
    answers_text: "s.answers::text",
};

pub(super) fn as_sql(param: &Param) -> &(dyn ToSql + Sync) {
    match param {
        Param::Text(text) => text,
        Param::Integer(number) => number,
        Param::Blob(bytes) => bytes,
    }
}

fn row(row: &tokio_postgres::Row) -> Result<(Cursor, SubmissionRow), ValidateError> {
    let doc_id = doc_id_from_blob(row.try_get::<_, &[u8]>(0)?)
        .map_err(|e| ValidateError::Database(Box::new(e)))?;
    let created_at: i64 = row.try_get(5)?;
    let issues: String = row.try_get(9)?;
    let conflicts: i32 = row.try_get(10)?;
    Ok((
        Cursor { created_at, doc_id },
        SubmissionRow {
            id: doc_id.to_string(),
            form_id: row.try_get(1)?,
            form_version: row.try_get(2)?,
            association: row.try_get(3)?,
            device: row.try_get(4)?,
            created_at,
            review_status: row.try_get(6)?,
            instance_name: row.try_get(7)?,
            complete: row.try_get(8)?,
            issues: serde_json::from_str(&issues).unwrap_or_default(),
            conflicts: u32::try_from(conflicts).unwrap_or(0),
            withdrawn: row.try_get(11)?,
        },
    ))
}
