//! The dashboard (`GET /api/dashboard`) on the backend the tests run on: registrations from
//! two associations' phones counted by country, region, profession, specialisation,
//! engagement, months available, years abroad, month, association, device, review status
//! and completeness, and the skills available for short-term assignments; a reviewer counts
//! every association, a coordinator their own; a withdrawn registration and a merged
//! duplicate are not counted; the table's filters apply; bad parameters are refused saying
//! what to write.

mod common;

use common::register::{Phone, T0, reference_version};
use common::{Browser, Fixture, fixture};
use letsema_doc::{Answer, Answers};
use serde_json::{Value, json};
use warp::http::StatusCode;

const DAY: i64 = 86_400_000;

/// A member who registered: where they live, what they do, how they would take part.
struct Member<'a> {
    first_name: &'a str,
    country: &'a str,
    region: &'a str,
    profession: &'a str,
    specialisation: &'a str,
    engagement: &'a [&'a str],
    months: Option<&'a str>,
    years_abroad: &'a str,
}

impl Member<'_> {
    fn answers(&self) -> Answers {
        let mut answers = Answers::new()
            .with("consent", "yes")
            .with("first_name", self.first_name)
            .with("surname", "Mokhothu")
            .with("dob", "1988-04-05")
            .with("phone", "+27821234567")
            .with("country", self.country)
            .with("region", self.region)
            .with("profession", self.profession)
            .with("specialisation", self.specialisation)
            .with(
                "engagement",
                Answer::multiple(self.engagement.iter().copied()),
            )
            .with("years_abroad", self.years_abroad);
        if let Some(months) = self.months {
            answers = answers.with("months_available", months);
        }
        answers
    }
}

async fn dashboard(f: &Fixture, who: &Browser, filters: &str) -> Value {
    let (status, body) = f
        .send(
            "GET",
            &format!("/api/dashboard?form=diaspora_registration{filters}"),
            Some(who),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{filters}: {body}");
    body
}

/// A chart as `key: count` pairs, in its order, those at zero left out.
fn counted(chart: &Value) -> Vec<(String, u64)> {
    chart
        .as_array()
        .expect("a chart")
        .iter()
        .filter(|bar| bar["count"].as_u64() != Some(0))
        .map(|bar| {
            (
                bar["key"].as_str().expect("a key").to_owned(),
                bar["count"].as_u64().expect("a count"),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, u64)]) -> Vec<(String, u64)> {
    expected
        .iter()
        .map(|(key, count)| ((*key).to_owned(), *count))
        .collect()
}

#[tokio::test]
async fn the_dashboard_counts_each_person_once_within_what_the_staff_member_sees() {
    let f = fixture();
    let version = reference_version(&f);
    let mut church = Phone::enrol(&f, "assoc-a").await;
    let paediatrician = church.capture(
        &version,
        T0,
        &Member {
            first_name: "Tšepo",
            country: "south_africa",
            region: "gauteng",
            profession: "doctor",
            specialisation: "Paediatrics",
            engagement: &["short_term", "mentoring"],
            months: Some("3"),
            years_abroad: "4",
        }
        .answers(),
    );
    church.capture(
        &version,
        T0 + 40 * DAY,
        &Member {
            first_name: "Lineo",
            country: "south_africa",
            region: "free_state",
            profession: "nurse",
            specialisation: "Theatre nursing",
            engagement: &["telemedicine"],
            months: None,
            years_abroad: "12",
        }
        .answers(),
    );
    let leaving = church.capture(
        &version,
        T0 + 2 * DAY,
        &Member {
            first_name: "Palesa",
            country: "uk",
            region: "england",
            profession: "doctor",
            specialisation: "Radiology",
            engagement: &["short_term"],
            months: Some("8"),
            years_abroad: "25",
        }
        .answers(),
    );
    church.sync(&f).await;
    let mut nurses = Phone::enrol(&f, "assoc-b").await;
    let approved = nurses.capture(
        &version,
        T0 + DAY,
        &Member {
            first_name: "Mpho",
            country: "south_africa",
            region: "gauteng",
            profession: "doctor",
            specialisation: " paediatrics ",
            engagement: &["short_term"],
            months: Some("2"),
            years_abroad: "1",
        }
        .answers(),
    );
    // Tšepo again, registered by the other association.
    let again = nurses.capture(
        &version,
        T0 + 3 * DAY,
        &Member {
            first_name: "Tshepo",
            country: "south_africa",
            region: "gauteng",
            profession: "doctor",
            specialisation: "Paediatrics",
            engagement: &["short_term"],
            months: Some("3"),
            years_abroad: "4",
        }
        .answers(),
    );
    nurses.sync(&f).await;
    f.validate_all();
    let reviewer = f.staff("reviewer@example.org").await;
    let (status, body) = f
        .send(
            "POST",
            &format!("/api/submissions/{approved}/review"),
            Some(&reviewer),
            Some(json!({"status": "approved"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    f.validate_all();
    assert_eq!(dashboard(&f, &reviewer, "").await["total"], 5);

    // Palesa withdraws; the reviewer merges Tšepo's second registration into her first.
    church.withdraw(&leaving, T0 + 50 * DAY);
    church.sync(&f).await;
    let (status, body) = f
        .send(
            "POST",
            "/api/duplicates/merge",
            Some(&reviewer),
            Some(json!({"canonical": paediatrician, "others": [again], "chosen": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    f.validate_all();

    let all = dashboard(&f, &reviewer, "").await;
    assert_eq!(all["form_id"], "diaspora_registration");
    assert_eq!(all["total"], 3, "{all}");
    assert_eq!(counted(&all["countries"]), pairs(&[("south_africa", 3)]));
    // Every choice of the form, in its order, at zero too, with its English label.
    assert_eq!(all["countries"][0]["label"], "South Africa");
    assert_eq!(all["countries"][1]["key"], "uk");
    assert_eq!(all["countries"][1]["count"], 0);
    let regions = all["regions"].as_array().expect("regions");
    assert_eq!(
        regions.len(),
        9,
        "South Africa's nine provinces: {regions:?}"
    );
    assert!(regions.iter().all(|r| r["country"] == "south_africa"));
    assert_eq!(
        counted(&all["regions"]),
        pairs(&[("free_state", 1), ("gauteng", 2)])
    );
    assert_eq!(regions[2]["label"], "Gauteng");
    assert_eq!(
        counted(&all["professions"]),
        pairs(&[("doctor", 2), ("nurse", 1)])
    );
    assert_eq!(all["professions"][0]["label"], "Doctor");
    // Spellings that differ in case and spaces are one specialisation.
    assert_eq!(
        all["specialisations"],
        json!([
            {"profession": "doctor", "key": "Paediatrics", "count": 2},
            {"profession": "nurse", "key": "Theatre nursing", "count": 1},
        ])
    );
    assert_eq!(
        counted(&all["engagement"]),
        pairs(&[("short_term", 2), ("mentoring", 1), ("telemedicine", 1)])
    );
    assert_eq!(
        all["engagement"][1]["label"],
        "Short-term assignment in Lesotho"
    );
    assert_eq!(
        all["months_available"],
        json!([
            {"key": "1", "label": null, "count": 0},
            {"key": "2", "label": null, "count": 1},
            {"key": "3", "label": null, "count": 1},
            {"key": "4-6", "label": null, "count": 0},
            {"key": "7-12", "label": null, "count": 0},
        ])
    );
    assert_eq!(
        counted(&all["years_abroad"]),
        pairs(&[("0-2", 1), ("3-5", 1), ("11-20", 1)])
    );
    assert_eq!(all["years_abroad"][4]["key"], "21+");
    // Every month from the first to the last, June at zero.
    assert_eq!(
        all["by_month"],
        json!([
            {"key": "2026-05", "label": null, "count": 2},
            {"key": "2026-06", "label": null, "count": 0},
            {"key": "2026-07", "label": null, "count": 1},
        ])
    );
    assert_eq!(
        counted(&all["associations"]),
        pairs(&[("assoc-a", 2), ("assoc-b", 1)])
    );
    let devices = all["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 2, "{devices:?}");
    assert_eq!(
        (&devices[0]["association"], &devices[0]["count"]),
        (&json!("assoc-a"), &json!(2))
    );
    assert_eq!(
        (&devices[1]["association"], &devices[1]["count"]),
        (&json!("assoc-b"), &json!(1))
    );
    assert_eq!(
        counted(&all["review"]),
        pairs(&[("received", 2), ("approved", 1)])
    );
    let completeness = &all["completeness"];
    assert_eq!(
        completeness["complete"].as_u64().unwrap_or(0)
            + completeness["with_issues"].as_u64().unwrap_or(0),
        3
    );
    assert_eq!(completeness["with_conflicts"], 0);
    // Doctors in South Africa who would take a short-term assignment, and their months.
    assert_eq!(
        all["skills"],
        json!([{
            "profession": "doctor",
            "profession_label": "Doctor",
            "specialisation": "Paediatrics",
            "country": "south_africa",
            "country_label": "South Africa",
            "count": 2,
            "months": 5,
            "by_months": [
                {"key": "1", "label": null, "count": 0},
                {"key": "2", "label": null, "count": 1},
                {"key": "3", "label": null, "count": 1},
                {"key": "4-6", "label": null, "count": 0},
                {"key": "7-12", "label": null, "count": 0},
            ],
        }])
    );

    // assoc-a's coordinator counts assoc-a's registrations only.
    let coordinator = f.staff("coord-a@example.org").await;
    let own = dashboard(&f, &coordinator, "").await;
    assert_eq!(own["total"], 2, "{own}");
    assert_eq!(counted(&own["associations"]), pairs(&[("assoc-a", 2)]));
    assert_eq!(
        counted(&own["professions"]),
        pairs(&[("doctor", 1), ("nurse", 1)])
    );
    assert_eq!(
        dashboard(&f, &coordinator, "&association=assoc-b").await["total"],
        0,
        "another association's are not counted when asked for"
    );

    // The table's filters apply.
    for (filters, total) in [
        ("&choice=profession:doctor", 2),
        ("&choice=profession:doctor&choice=engagement:mentoring", 1),
        ("&from=2026-07-01", 1),
        ("&to=2026-05-28", 1),
        ("&association=assoc-b", 1),
        ("&status=approved", 1),
        ("&complete=false", 3),
        ("&conflicts=true", 0),
        ("&q=lineo", 1),
        (&format!("&version={version}"), 3),
    ] {
        assert_eq!(
            dashboard(&f, &reviewer, filters).await["total"],
            total,
            "{filters}"
        );
    }
    let doctors = dashboard(&f, &reviewer, "&choice=profession:doctor").await;
    assert_eq!(counted(&doctors["professions"]), pairs(&[("doctor", 2)]));
}

#[tokio::test]
async fn bad_parameters_are_refused_saying_what_to_write() {
    let f = fixture();
    let reviewer = f.staff("reviewer@example.org").await;
    for (query, code, says) in [
        ("", "invalid_query", "form=diaspora_registration"),
        ("?status=approved", "invalid_query", "form"),
        (
            "?form=diaspora_registration&limit=10",
            "invalid_query",
            "unknown parameter \"limit\"",
        ),
        (
            "?form=diaspora_registration&order=oldest",
            "invalid_query",
            "choice or q",
        ),
        (
            "?form=diaspora_registration&after=1.00",
            "invalid_query",
            "after",
        ),
        (
            "?form=diaspora_registration&duplicates=include",
            "invalid_query",
            "once",
        ),
        (
            "?form=diaspora_registration&sort=name",
            "invalid_query",
            "form, version, association",
        ),
        (
            "?form=diaspora_registration&status=done",
            "invalid_query",
            "status",
        ),
        (
            "?form=diaspora_registration&from=2026-13-01",
            "invalid_query",
            "YYYY-MM-DD",
        ),
        ("?form=nobody", "not_found", "published"),
        (
            "?form=diaspora_registration&version=1999",
            "not_found",
            "1999",
        ),
    ] {
        let (status, body) = f
            .send(
                "GET",
                &format!("/api/dashboard{query}"),
                Some(&reviewer),
                None,
            )
            .await;
        let expected = if code == "not_found" {
            StatusCode::NOT_FOUND
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(status, expected, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{query}: {message}");
    }
    let long = format!(
        "/api/dashboard?form=diaspora_registration&q={}",
        "a".repeat(3000)
    );
    let (status, _) = f.send("GET", &long, Some(&reviewer), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = f
        .send(
            "GET",
            "/api/dashboard?form=diaspora_registration",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
