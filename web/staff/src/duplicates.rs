//! People registered twice, as the review screen needs them: which list is shown
//! (`#/duplicates?status=...`), the three registrations of one person that its pairs join,
//! and two or three registrations compared field by field, with the value to keep for each
//! field and the merge request made from the choices. No I/O: the screen is
//! `duplicates_view.rs`.

use std::collections::BTreeMap;

use letsema_form::runtime::Answer;
use letsema_protocol::staff::{DuplicatePair, DuplicateSide, MergeRequest, SubmissionDetail};

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

/// The most registrations compared at once.
pub const MAX_COMPARED: usize = 3;

/// One question, as each registration answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    pub name: String,
    pub label: String,
    /// One per registration, in their order: as people read them (choice labels); empty
    /// when unanswered.
    pub values: Vec<String>,
    /// The same answer in every registration.
    pub same: bool,
}

/// The questions outside repeats of registrations laid out by their form (`layout.rs`, one
/// page per registration), in the first one's order (then any that only the others show),
/// each with every registration's answer; questions none answered are left out.
pub fn compare_rows(pages: &[Vec<Block>], details: &[SubmissionDetail]) -> Vec<CompareRow> {
    let rows: Vec<Vec<&QuestionRow>> = pages.iter().map(|page| questions(page)).collect();
    let mut names: Vec<&str> = Vec::new();
    for row in rows.iter().flatten() {
        if !names.contains(&row.name.as_str()) {
            names.push(&row.name);
        }
    }
    names
        .into_iter()
        .filter_map(|name| {
            let found: Vec<Option<&QuestionRow>> =
                rows.iter().map(|page| find(page, name)).collect();
            let label = found
                .iter()
                .flatten()
                .next()
                .map(|q| q.label.clone())
                .unwrap_or_default();
            let values: Vec<String> = found
                .iter()
                .map(|q| q.map(|q| q.shown.clone()).unwrap_or_default())
                .collect();
            if values.iter().all(String::is_empty) {
                return None;
            }
            let first = details.first().and_then(|d| d.answers.get(name));
            Some(CompareRow {
                name: name.to_owned(),
                label,
                same: details.iter().all(|d| d.answers.get(name) == first),
                values,
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

/// The merge of the other registrations into `details[kept]`: for each differing field
/// where `picked` names another registration, that one's value (none: cleared).
pub fn merge_request(
    kept: usize,
    details: &[SubmissionDetail],
    rows: &[CompareRow],
    picked: &BTreeMap<String, usize>,
) -> MergeRequest {
    let chosen: BTreeMap<String, Option<Answer>> = rows
        .iter()
        .filter(|row| !row.same)
        .filter_map(|row| {
            let from = picked.get(&row.name).copied().unwrap_or(kept);
            let source = details.get(from).filter(|_| from != kept)?;
            Some((row.name.clone(), source.answers.get(&row.name).cloned()))
        })
        .collect();
    MergeRequest {
        canonical: details.get(kept).map(|d| d.id.clone()).unwrap_or_default(),
        others: details
            .iter()
            .enumerate()
            .filter(|(at, _)| *at != kept)
            .map(|(_, d)| d.id.clone())
            .collect(),
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

/// Whether the registrations compared are merged already: the one the others are
/// duplicates of, and its standing merge of them (what an undo names).
pub fn merged_into(details: &[SubmissionDetail]) -> Option<(String, usize)> {
    details.iter().find_map(|canonical| {
        let others: Vec<&SubmissionDetail> =
            details.iter().filter(|d| d.id != canonical.id).collect();
        let all_in = !others.is_empty()
            && others
                .iter()
                .all(|d| d.duplicate_of.as_deref() == Some(canonical.id.as_str()));
        all_in
            .then(|| standing_merge(canonical, &others[0].id))
            .flatten()
            .map(|index| (canonical.id.clone(), index))
    })
}

/// The registrations that `pairs[at]` joins through the pairs listed (each pair an edge), if
/// they are more than two and at most [`MAX_COMPARED`]: the person registered three times,
/// compared at once. Oldest first.
pub fn group_of(pairs: &[DuplicatePair], at: usize) -> Option<Vec<String>> {
    let pair = pairs.get(at)?;
    let mut group: Vec<&DuplicateSide> = vec![&pair.first, &pair.second];
    loop {
        let before = group.len();
        for other in pairs {
            let (a, b) = (&other.first, &other.second);
            let has = |side: &DuplicateSide| group.iter().any(|g| g.id == side.id);
            match (has(a), has(b)) {
                (true, false) => group.push(b),
                (false, true) => group.push(a),
                _ => {}
            }
        }
        if group.len() > MAX_COMPARED {
            return None;
        }
        if group.len() == before {
            break;
        }
    }
    if group.len() < 3 {
        return None;
    }
    group.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Some(group.into_iter().map(|side| side.id.clone()).collect())
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
        let both = [left.clone(), right.clone()];
        let rows = compare_rows(&[left_page.to_vec(), right_page.to_vec()], &both);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(
            names,
            ["name", "phone", "city"],
            "no row for an unanswered email"
        );
        assert!(rows[0].same && !rows[1].same && !rows[2].same);

        // Keep the left one, with the right one's phone; the city stays the left one's (none).
        let picked = BTreeMap::from([("phone".to_owned(), 1)]);
        let request = merge_request(0, &both, &rows, &picked);
        assert_eq!(request.canonical, "a");
        assert_eq!(request.others, ["b"]);
        assert_eq!(
            request.chosen,
            BTreeMap::from([("phone".to_owned(), Some(Answer::value("082 999 0000")))])
        );
        // Keep the right one, taking the left one's (empty) city: cleared.
        let picked = BTreeMap::from([("city".to_owned(), 0)]);
        let request = merge_request(1, &both, &rows, &picked);
        assert_eq!(request.canonical, "b");
        assert_eq!(request.chosen, BTreeMap::from([("city".to_owned(), None)]));
    }

    #[test]
    fn three_registrations_merge_into_the_one_kept_with_values_picked_from_either_other() {
        let answers = [
            [("name", "Tšepo"), ("phone", "1"), ("city", "Maseru")],
            [("name", "Tshepo"), ("phone", "2"), ("city", "Maseru")],
            [("name", "Tšepo"), ("phone", "3"), ("city", "Durban")],
        ];
        let details: Vec<SubmissionDetail> = ["a", "b", "c"]
            .iter()
            .zip(&answers)
            .map(|(id, answers)| detail(id, answers))
            .collect();
        let pages: Vec<Vec<Block>> = answers
            .iter()
            .map(|answers| answers.iter().map(|(q, v)| row(q, v)).collect())
            .collect();
        let rows = compare_rows(&pages, &details);
        assert_eq!(rows[0].values, ["Tšepo", "Tshepo", "Tšepo"]);
        assert!(rows.iter().all(|row| !row.same));
        // Keep b; its phone from c, its name from a; its city stays its own.
        let picked = BTreeMap::from([("phone".to_owned(), 2), ("name".to_owned(), 0)]);
        let request = merge_request(1, &details, &rows, &picked);
        assert_eq!(request.canonical, "b");
        assert_eq!(request.others, ["a", "c"]);
        assert_eq!(
            request.chosen,
            BTreeMap::from([
                ("name".to_owned(), Some(Answer::value("Tšepo"))),
                ("phone".to_owned(), Some(Answer::value("3"))),
            ])
        );
    }

    fn pair(first: (&str, i64), second: (&str, i64)) -> DuplicatePair {
        let side = |(id, created_at): (&str, i64)| {
            serde_json::from_value::<DuplicateSide>(serde_json::json!({
                "id": id, "form_id": "reg", "created_at": created_at, "association": null,
                "instance_name": null
            }))
            .expect("a side")
        };
        DuplicatePair {
            first: side(first),
            second: side(second),
            score: 20.0,
            explanation: String::new(),
            reasons: Vec::new(),
            found_at: 0,
            decision: None,
            decided_by: None,
            decided_at: None,
        }
    }

    #[test]
    fn a_person_registered_three_times_is_one_group_and_four_are_compared_in_pairs() {
        let pairs = [
            pair(("b", 2), ("a", 1)),
            pair(("c", 3), ("b", 2)),
            pair(("x", 1), ("y", 2)),
        ];
        assert_eq!(
            group_of(&pairs, 0),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(
            group_of(&pairs, 1),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(group_of(&pairs, 2), None, "a pair alone");
        let four = [
            pair(("a", 1), ("b", 2)),
            pair(("b", 2), ("c", 3)),
            pair(("c", 3), ("d", 4)),
        ];
        assert_eq!(group_of(&four, 0), None);
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

        let mut b = detail("b", &[]);
        let mut c = detail("c", &[]);
        b.duplicate_of = Some("a".into());
        assert_eq!(
            merged_into(&[kept.clone(), b.clone(), c.clone()]),
            None,
            "c is not merged"
        );
        c.duplicate_of = Some("a".into());
        kept.merges.push(MergeInfo {
            merged: vec!["b".into(), "c".into()],
            ..merge("b", false)
        });
        assert_eq!(merged_into(&[b, kept, c]), Some(("a".into(), 3)));
    }
}
