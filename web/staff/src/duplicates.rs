//! People registered twice, as the review screen needs them: which list is shown
//! (`#/duplicates?status=...`), and two registrations compared field by field, with the value
//! to keep for each field and the merge request made from the choices. No I/O: the screen
//! is `duplicates_view.rs`.

use std::collections::BTreeMap;

use letsema_form::runtime::Answer;
use letsema_protocol::staff::{MergeRequest, SubmissionDetail};

use crate::layout::{Block, QuestionRow};

/// Which pairs the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PairList {
    /// Waiting for a reviewer.
    #[default]
    Open,
    /// Decided "not the same person".
    Different,
    Merged,
}

impl PairList {
    pub const ALL: [PairList; 3] = [PairList::Open, PairList::Different, PairList::Merged];

    /// The API's and the address's name: `open`, `different`, `merged`.
    pub fn name(self) -> &'static str {
        match self {
            PairList::Open => "open",
            PairList::Different => "different",
            PairList::Merged => "merged",
        }
    }

    /// From an address's query (`status=merged`); the open list for anything else.
    pub fn from_query(query: &str) -> PairList {
        let status = query
            .split('&')
            .find_map(|pair| pair.strip_prefix("status="))
            .unwrap_or_default();
        PairList::ALL
            .into_iter()
            .find(|list| list.name() == status)
            .unwrap_or_default()
    }

    /// The address's query for this list (none for the open one, the default).
    pub fn query(self) -> String {
        match self {
            PairList::Open => String::new(),
            other => format!("status={}", other.name()),
        }
    }
}

/// Which side's value a field keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// One question, as each registration answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    pub name: String,
    pub label: String,
    /// As people read them (choice labels); empty when unanswered.
    pub left: String,
    pub right: String,
    /// The same answer on both sides.
    pub same: bool,
}

/// The questions outside repeats of two registrations laid out by their form (`layout.rs`),
/// in the left one's order (then any the right one alone shows), each with both answers;
/// questions neither answered are left out.
pub fn compare_rows(
    left: &[Block],
    right: &[Block],
    left_answers: &SubmissionDetail,
    right_answers: &SubmissionDetail,
) -> Vec<CompareRow> {
    let (left_rows, right_rows) = (questions(left), questions(right));
    let mut names: Vec<&str> = left_rows.iter().map(|q| q.name.as_str()).collect();
    for row in &right_rows {
        if !names.contains(&row.name.as_str()) {
            names.push(&row.name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let (l, r) = (find(&left_rows, name), find(&right_rows, name));
            let label = l.or(r).map(|q| q.label.clone()).unwrap_or_default();
            let shown = |q: Option<&QuestionRow>| q.map(|q| q.shown.clone()).unwrap_or_default();
            let (left, right) = (shown(l), shown(r));
            if left.is_empty() && right.is_empty() {
                return None;
            }
            Some(CompareRow {
                name: name.to_owned(),
                label,
                same: left_answers.answers.get(name) == right_answers.answers.get(name),
                left,
                right,
            })
        })
        .collect()
}

/// The question `name` among `rows`.
fn find<'a>(rows: &[&'a QuestionRow], name: &str) -> Option<&'a QuestionRow> {
    rows.iter().find(|q| q.name == name).copied()
}

/// The questions of `blocks` outside repeats, groups opened, in order.
fn questions(blocks: &[Block]) -> Vec<&QuestionRow> {
    let mut out = Vec::new();
    fn walk<'a>(blocks: &'a [Block], out: &mut Vec<&'a QuestionRow>) {
        for block in blocks {
            match block {
                Block::Question(row) => out.push(row),
                Block::Group { children, .. } => walk(children, out),
                Block::Repeat { .. } => {}
            }
        }
    }
    walk(blocks, &mut out);
    out
}

/// The merge of the other registration into the one on `kept`'s side: for each differing
/// field where `picked` takes the other side's value, that value (none: cleared).
pub fn merge_request(
    kept: Side,
    left: &SubmissionDetail,
    right: &SubmissionDetail,
    rows: &[CompareRow],
    picked: &BTreeMap<String, Side>,
) -> MergeRequest {
    let (canonical, other) = match kept {
        Side::Left => (left, right),
        Side::Right => (right, left),
    };
    let chosen: BTreeMap<String, Option<Answer>> = rows
        .iter()
        .filter(|row| !row.same)
        .filter(|row| picked.get(&row.name).copied().unwrap_or(kept) != kept)
        .map(|row| (row.name.clone(), other.answers.get(&row.name).cloned()))
        .collect();
    MergeRequest {
        canonical: canonical.id.clone(),
        others: vec![other.id.clone()],
        chosen,
    }
}

/// Which merge of `canonical`'s put `other` into it and still stands: its place in the
/// submission's merges, what an undo names.
pub fn standing_merge(canonical: &SubmissionDetail, other: &str) -> Option<usize> {
    canonical
        .merges
        .iter()
        .enumerate()
        .rev()
        .find(|(_, merge)| merge.undone_at.is_none() && merge.merged.iter().any(|id| id == other))
        .map(|(index, _)| index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use letsema_protocol::staff::MergeInfo;

    fn row(name: &str, shown: &str) -> Block {
        Block::Question(QuestionRow {
            name: name.to_owned(),
            key: name.to_owned(),
            label: format!("{name}?"),
            value: shown.to_owned(),
            shown: shown.to_owned(),
            issue: None,
            editor: None,
            entry: None,
            history: Vec::new(),
            conflict: None,
        })
    }

    fn detail(id: &str, answers: &[(&str, &str)]) -> SubmissionDetail {
        let mut all = letsema_form::runtime::Answers::new();
        for (name, value) in answers {
            all = all.with(*name, *value);
        }
        serde_json::from_value(serde_json::json!({
            "id": id, "form_id": "reg", "form_version": "1", "association": null,
            "device": "phone", "created_at": 0, "answers": all, "review_status": "received",
            "comments": [], "withdrawn": false, "history": [], "conflicts": [],
            "complete": true, "issues": [], "instance_name": null
        }))
        .expect("a detail")
    }

    #[test]
    fn lists_read_back_from_the_address() {
        for list in PairList::ALL {
            assert_eq!(PairList::from_query(&list.query()), list);
        }
        assert_eq!(PairList::from_query("status=nonsense"), PairList::Open);
    }

    #[test]
    fn rows_pair_the_questions_and_the_merge_takes_only_what_was_picked_from_the_other() {
        let left = detail("a", &[("name", "Tšepo"), ("phone", "+27 82 123 4567")]);
        let right = detail(
            "b",
            &[
                ("name", "Tšepo"),
                ("phone", "082 999 0000"),
                ("city", "Durban"),
            ],
        );
        let left_page = [
            row("name", "Tšepo"),
            Block::Group {
                label: None,
                children: vec![row("phone", "+27 82 123 4567"), row("email", "")],
            },
        ];
        let right_page = [
            row("name", "Tšepo"),
            row("phone", "082 999 0000"),
            row("city", "Durban"),
        ];
        let rows = compare_rows(&left_page, &right_page, &left, &right);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["name", "phone", "city"],
            "no row for an unanswered email"
        );
        assert!(rows[0].same && !rows[1].same && !rows[2].same);

        // Keep the left one, with the right one's phone; the city stays the left one's (none).
        let picked = BTreeMap::from([("phone".to_owned(), Side::Right)]);
        let request = merge_request(Side::Left, &left, &right, &rows, &picked);
        assert_eq!(request.canonical, "a");
        assert_eq!(request.others, ["b"]);
        assert_eq!(
            request.chosen,
            BTreeMap::from([("phone".to_owned(), Some(Answer::value("082 999 0000")))])
        );
        // Keep the right one, taking the left one's (empty) city: cleared.
        let picked = BTreeMap::from([("city".to_owned(), Side::Left)]);
        let request = merge_request(Side::Right, &left, &right, &rows, &picked);
        assert_eq!(request.canonical, "b");
        assert_eq!(request.chosen, BTreeMap::from([("city".to_owned(), None)]));
    }

    #[test]
    fn the_merge_to_undo_is_the_last_standing_one_of_that_registration() {
        let mut kept = detail("a", &[]);
        let merge = |merged: &str, undone: bool| MergeInfo {
            at: 1,
            by: "staff-1".into(),
            merged: vec![merged.into()],
            before: BTreeMap::new(),
            chosen: BTreeMap::new(),
            undone_at: undone.then_some(2),
        };
        kept.merges = vec![merge("b", true), merge("c", false), merge("b", false)];
        assert_eq!(standing_merge(&kept, "b"), Some(2));
        assert_eq!(standing_merge(&kept, "c"), Some(1));
        assert_eq!(standing_merge(&kept, "d"), None);
    }
}
