//! A generated register's row as the `Record` matching reads (shared by
//! `tests/registers.rs` and `examples/register_bench.rs`).

use letsema_match::Record;
use letsema_workload::register::RegisterRow;

/// `row` as a registration with this id.
pub fn record(id: String, row: &RegisterRow) -> Record {
    let some = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    Record {
        id,
        first_names: row.first_names.clone(),
        surname: row.surname.clone(),
        sex: some(row.sex),
        date_of_birth: some(&row.date_of_birth),
        phone: some(&row.phone),
        email: some(&row.email),
        country: some(row.country),
        city: some(row.city),
        profession: some(row.profession),
    }
}
