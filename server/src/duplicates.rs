//! People registered twice, across the submissions of one scope: every submission read from
//! the store (a batch at a time, as an export reads), made into a `letsema_match::Record`
//! from the reference form's questions, and compared by `letsema_match::MatchIndex`; the
//! candidate pairs grouped into people. `letsema duplicates` prints them.
//!
//! On arrival ([`match_arrivals`], after each validation pass): each submission whose
//! projection was written is compared with those sharing a blocking key with it, read from
//! the database (`store::DuplicateStore`), and its pairs recorded for review.

use letsema_answers::{Answer, Answers};
use letsema_match::{Comparison, MAX_BLOCK, MatchIndex, Person, Record, compare as compare_people};
use letsema_protocol::sync::DocId;

use crate::export::ReadRow;
use crate::store::{
    AssociationScope, Backend, DuplicateStore, EXPORT_BATCH_ROWS, ExportRow, FoundPair,
    JudgedSubmission, Neighbour, Order, QueryError, SubmissionQuery, ValidateError,
};

/// Why the search failed.
#[derive(Debug, thiserror::Error)]
pub enum DuplicatesError {
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error(transparent)]
    Store(#[from] ValidateError),
}

/// One person registered more than once: the submissions, and the pairs that tie them.
#[derive(Debug, Clone)]
pub struct Group {
    /// Each submission: its id, the name as typed, its association.
    pub members: Vec<Member>,
    /// The candidate pairs inside the group, strongest first.
    pub pairs: Vec<(String, String, Comparison)>,
}

/// A submission of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub association: Option<String>,
    pub form: String,
}

/// What a search read and found.
#[derive(Debug, Clone)]
pub struct Found {
    /// Submissions read (withdrawn ones left out).
    pub read: usize,
    /// Those with a name to compare.
    pub compared: usize,
    pub groups: Vec<Group>,
}

/// The text of an answer (a select_multiple's values joined by spaces); none when empty.
fn text(answers: &Answers, name: &str) -> Option<String> {
    match answers.get(name)? {
        Answer::Value(value) if !value.trim().is_empty() => Some(value.trim().to_owned()),
        Answer::Multiple(values) if !values.is_empty() => Some(values.join(" ")),
        _ => None,
    }
}

/// What matching reads of a submission: the reference form's `first_name`, `surname`,
/// `sex`, `dob`, `phone`, `email`, `country`, `city` and `profession` (a form with one
/// `full_name` instead gives its last word as the surname). None without a name.
pub fn record_of(id: &str, answers: &Answers) -> Option<Record> {
    let (first_names, surname) = match (text(answers, "first_name"), text(answers, "surname")) {
        (Some(first), Some(last)) => (first, last),
        (Some(first), None) => (first, String::new()),
        (None, Some(last)) => (String::new(), last),
        (None, None) => {
            let full = text(answers, "full_name")?;
            match full.rsplit_once(char::is_whitespace) {
                Some((first, last)) => (first.trim().to_owned(), last.to_owned()),
                None => (full, String::new()),
            }
        }
    };
    Some(Record {
        id: id.to_owned(),
        first_names,
        surname,
        sex: text(answers, "sex"),
        date_of_birth: text(answers, "dob").or_else(|| text(answers, "birth_date")),
        phone: text(answers, "phone"),
        email: text(answers, "email"),
        country: text(answers, "country"),
        city: text(answers, "city"),
        profession: text(answers, "profession"),
    })
}

/// Every group of submissions within `scope` (of `form`, or of every form) that may be one
/// person, largest first; `progress` is told how many submissions are read after each batch.
///
/// # Errors
///
/// A failed read.
pub fn find(
    store: &dyn Backend,
    scope: AssociationScope,
    form: Option<&str>,
    progress: &mut dyn FnMut(usize),
) -> Result<Found, DuplicatesError> {
    let mut query = SubmissionQuery::from_pairs(scope, Vec::new())?;
    query.form = form.map(str::to_owned);
    query.order = Order::Oldest;
    query.limit = EXPORT_BATCH_ROWS;
    let mut index = MatchIndex::new();
    let mut pairs: Vec<(String, String, Comparison)> = Vec::new();
    let mut members: std::collections::HashMap<String, Member> = std::collections::HashMap::new();
    let (mut read, mut compared) = (0, 0);
    loop {
        let batch = store.export_batch(&query)?;
        for row in batch.rows.iter().filter(|row| !row.row.withdrawn) {
            read += 1;
            let parsed = ReadRow::of(row);
            let submission = parsed.submission(row);
            let Some(record) = record_of(submission.id, submission.answers) else {
                continue;
            };
            compared += 1;
            members.insert(record.id.clone(), member(row, &record));
            for candidate in index.insert(&record) {
                pairs.push((record.id.clone(), candidate.other, candidate.comparison));
            }
        }
        progress(read);
        match batch.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    let scored: Vec<(&str, &str, f64)> = pairs
        .iter()
        .map(|(a, b, comparison)| (a.as_str(), b.as_str(), comparison.score))
        .collect();
    let mut groups: Vec<Group> = index
        .clusters(&scored)
        .into_iter()
        .map(|ids| {
            let mut inside: Vec<(String, String, Comparison)> = pairs
                .iter()
                .filter(|(a, b, _)| ids.contains(&a.as_str()) && ids.contains(&b.as_str()))
                .cloned()
                .collect();
            inside.sort_by(|x, y| y.2.score.total_cmp(&x.2.score));
            Group {
                members: ids
                    .iter()
                    .filter_map(|id| members.get(*id).cloned())
                    .collect(),
                pairs: inside,
            }
        })
        .collect();
    groups.sort_by_key(|group| std::cmp::Reverse(group.members.len()));
    Ok(Found {
        read,
        compared,
        groups,
    })
}

/// Compares each submission whose projection was just written (`written`, of `judged`)
/// with those it shares a blocking key with, and records what it finds
/// (`DuplicateStore::record_pairs`): the validator's comparison on arrival, which keeps the
/// candidates current. A submission withdrawn, or without a name, loses its open pairs.
/// Returns how many candidate pairs it found.
///
/// # Errors
///
/// A failed read or write; the projections are recorded already, and the next change to a
/// submission compares it again.
pub fn match_arrivals(
    store: &(impl DuplicateStore + ?Sized),
    judged: &[JudgedSubmission],
    written: &[DocId],
) -> Result<usize, ValidateError> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut pairs = 0;
    for submission in judged.iter().filter(|j| written.contains(&j.doc_id)) {
        let found = match &submission.projection.matching {
            Some(record) if !submission.keys.is_empty() => {
                let neighbours =
                    store.neighbours(submission.doc_id, &submission.keys, MAX_BLOCK)?;
                candidates(record, &neighbours)
            }
            _ => Vec::new(),
        };
        store.record_pairs(submission.doc_id, &found, now_ms)?;
        pairs += found.len();
    }
    Ok(pairs)
}

/// Which of `neighbours` may be the same person as `record`, best first.
pub fn candidates(record: &Record, neighbours: &[Neighbour]) -> Vec<FoundPair> {
    let person = Person::new(record);
    let mut found: Vec<FoundPair> = neighbours
        .iter()
        .filter_map(|neighbour| {
            let answers: Answers = serde_json::from_str(&neighbour.answers).ok()?;
            let other = record_of(&neighbour.doc_id.to_string(), &answers)?;
            let comparison = compare_people(&person, &Person::new(&other));
            comparison.same_person().then(|| FoundPair {
                other: neighbour.doc_id,
                score: comparison.score,
                explanation: comparison.explanation(),
            })
        })
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    found
}

fn member(row: &ExportRow, record: &Record) -> Member {
    Member {
        id: record.id.clone(),
        name: format!("{} {}", record.first_names, record.surname)
            .trim()
            .to_owned(),
        association: row.row.association.clone(),
        form: row.row.form_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_reads_the_reference_forms_questions_or_a_full_name() {
        let answers = Answers::new()
            .with("first_name", "Palesa")
            .with("surname", "Mokhothu")
            .with("dob", "1990-03-14")
            .with("phone", "082 123 4567")
            .with("country", "south_africa");
        let record = record_of("a", &answers).expect("a name");
        assert_eq!(record.first_names, "Palesa");
        assert_eq!(record.surname, "Mokhothu");
        assert_eq!(record.date_of_birth.as_deref(), Some("1990-03-14"));
        assert_eq!(record.country.as_deref(), Some("south_africa"));
        let full = record_of(
            "b",
            &Answers::new().with("full_name", "Palesa Lineo Mokhothu"),
        )
        .expect("a name");
        assert_eq!(
            (full.first_names.as_str(), full.surname.as_str()),
            ("Palesa Lineo", "Mokhothu")
        );
        assert!(record_of("c", &Answers::new().with("consent", "no")).is_none());
    }
}
