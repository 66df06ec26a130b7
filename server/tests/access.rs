//! The access matrix: every route, asked by every kind of caller. Each cell is either
//! allowed, or refused with 401/403 and a body that is an error and nothing else; and no
//! cell may be cached (`Cache-Control: no-store`).

mod common;

use common::{Browser, EnrolledDevice, Fixture, fixture};
use letsema_server::routes::routes;
use serde_json::json;
use warp::http::StatusCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    DeviceA,
    DeviceB,
    RevokedDevice,
    CoordinatorA,
    Reviewer,
    Admin,
    ExpiredSession,
}

const EVERYONE: [Who; 8] = [
    Who::Anonymous,
    Who::DeviceA,
    Who::DeviceB,
    Who::RevokedDevice,
    Who::CoordinatorA,
    Who::Reviewer,
    Who::Admin,
    Who::ExpiredSession,
];

/// What a cell must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Served (any status that is not 401/403).
    Allowed,
    Unauthorized,
    Forbidden,
}

use Expect::{Allowed, Forbidden, Unauthorized};

struct Callers {
    device_a: EnrolledDevice,
    device_b: EnrolledDevice,
    revoked: EnrolledDevice,
    public_link: i64,
}

impl Callers {
    async fn new(f: &Fixture) -> Self {
        let device_a = f.enrol("assoc-a").await;
        let device_b = f.enrol("assoc-b").await;
        let revoked = f.enrol("assoc-a").await;
        let admin = f.staff("admin@example.org").await;
        let (status, _) = f
            .send(
                "POST",
                &format!("/api/devices/{}/revoke", revoked.id),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, created) = f
            .send(
                "POST",
                "/api/public-links",
                Some(&admin),
                Some(json!({ "form": "diaspora_registration" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        Callers {
            device_a,
            device_b,
            revoked,
            public_link: created["public_link"]["id"].as_i64().expect("an id"),
        }
    }
}

/// Sends one request as `who`; returns the status, the body and its `Cache-Control`.
async fn ask(
    f: &Fixture,
    callers: &Callers,
    who: Who,
    method: &str,
    path: &str,
    body: Option<Vec<u8>>,
) -> (StatusCode, String, String) {
    let mut state = f.state.clone();
    let session = |email: &'static str| async move { Some(f.staff(email).await) };
    let browser: Option<Browser> = match who {
        Who::CoordinatorA => session("coord-a@example.org").await,
        Who::Reviewer => session("reviewer@example.org").await,
        Who::Admin => session("admin@example.org").await,
        Who::ExpiredSession => {
            // The admin's session, on a server whose idle timeout has passed.
            state.auth.idle_timeout_secs = -1;
            session("admin@example.org").await
        }
        _ => None,
    };
    let bearer = match who {
        Who::DeviceA => Some(&callers.device_a.credential),
        Who::DeviceB => Some(&callers.device_b.credential),
        Who::RevokedDevice => Some(&callers.revoked.credential),
        _ => None,
    };
    let mut request = warp::test::request().method(method).path(path);
    if let Some(browser) = &browser {
        request = request
            .header("cookie", &browser.cookie)
            .header("x-csrf-token", &browser.csrf);
    }
    if let Some(credential) = bearer {
        request = request.header("authorization", format!("Bearer {credential}"));
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.reply(&routes(state)).await;
    let cache_control = response
        .headers()
        .get("cache-control")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("(none)")
        .to_owned();
    (
        response.status(),
        String::from_utf8_lossy(response.body()).into_owned(),
        cache_control,
    )
}

fn expected(row: &Row, who: Who) -> Expect {
    (row.rule)(who)
}

struct Row {
    method: &'static str,
    path: fn(&Callers, usize) -> String,
    body: fn(usize) -> Option<Vec<u8>>,
    rule: fn(Who) -> Expect,
}

fn staff_only(who: Who) -> Expect {
    match who {
        Who::CoordinatorA | Who::Reviewer | Who::Admin => Allowed,
        _ => Unauthorized,
    }
}

fn admin_only(who: Who) -> Expect {
    match who {
        Who::Admin => Allowed,
        Who::CoordinatorA | Who::Reviewer => Forbidden,
        _ => Unauthorized,
    }
}

fn managers(who: Who) -> Expect {
    match who {
        Who::Admin | Who::CoordinatorA => Allowed,
        Who::Reviewer => Forbidden,
        _ => Unauthorized,
    }
}

fn enrolled_devices(who: Who) -> Expect {
    match who {
        Who::DeviceA | Who::DeviceB => Allowed,
        _ => Unauthorized,
    }
}

fn public(_: Who) -> Expect {
    Allowed
}

fn none(_: usize) -> Option<Vec<u8>> {
    None
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            method: "GET",
            path: |_, _| "/api/health".into(),
            body: none,
            rule: public,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/openapi.json".into(),
            body: none,
            rule: public,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/session".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/session/everywhere".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "DELETE",
            path: |_, _| "/api/session".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/users".into(),
            body: none,
            rule: admin_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/users".into(),
            body: |i| {
                Some(
                    json!({
                        "email": format!("new{i}@example.org"), "display_name": "New",
                        "role": "reviewer", "password": "another long password"
                    })
                    .to_string()
                    .into_bytes(),
                )
            },
            rule: admin_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/associations".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "PUT",
            path: |_, _| "/api/associations/assoc-a".into(),
            body: |i| {
                Some(
                    json!({ "name": format!("Association A ({i})") })
                        .to_string()
                        .into_bytes(),
                )
            },
            rule: managers,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/enrolments".into(),
            body: none,
            rule: managers,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/enrolments".into(),
            body: |_| {
                Some(
                    json!({ "association": "assoc-a", "forms": ["diaspora_registration"] })
                        .to_string()
                        .into_bytes(),
                )
            },
            rule: managers,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/devices".into(),
            body: none,
            rule: managers,
        },
        Row {
            method: "POST",
            path: |c, _| format!("/api/devices/{}/revoke", c.revoked.id),
            body: none,
            rule: managers,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/device".into(),
            body: none,
            rule: enrolled_devices,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/device/forms".into(),
            body: none,
            rule: enrolled_devices,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/forms".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/forms/diaspora_registration?version=1".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/submissions?limit=5".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/submissions/0190f2a4-5b6c-7d8e-9f00-112233445566".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/submissions/0190f2a4-5b6c-7d8e-9f00-112233445566/review".into(),
            body: |_| Some(json!({ "status": "approved" }).to_string().into_bytes()),
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/submissions/0190f2a4-5b6c-7d8e-9f00-112233445566/answers".into(),
            body: |_| {
                Some(
                    json!({ "field": "city", "value": "Leeds" })
                        .to_string()
                        .into_bytes(),
                )
            },
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/submissions/0190f2a4-5b6c-7d8e-9f00-112233445566/resolve".into(),
            body: |_| {
                Some(
                    json!({ "field": "review_status", "value": { "review_status": "approved" } })
                        .to_string()
                        .into_bytes(),
                )
            },
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/submissions/review".into(),
            body: |_| {
                Some(
                    json!({ "ids": ["0190f2a4-5b6c-7d8e-9f00-112233445566"], "status": "approved" })
                        .to_string()
                        .into_bytes(),
                )
            },
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/forms?name=extra.md".into(),
            body: |_| {
                Some(
                    b"| survey |\n| | type | name | label |\n| | text | q | Q |\n\
                      | settings |\n| | form_id | version |\n| | extra | 1 |\n"
                        .to_vec(),
                )
            },
            rule: admin_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/exports?form=diaspora_registration&format=jsonl".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/audit".into(),
            body: none,
            rule: admin_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/duplicates".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/dashboard?form=diaspora_registration".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/duplicates/decision".into(),
            body: |_| {
                Some(
                    json!({
                        "first": "0190f2a4-5b6c-7d8e-9f00-112233445566",
                        "second": "0190f2a4-5b6c-7d8e-9f00-112233445577",
                        "decision": "different"
                    })
                    .to_string()
                    .into_bytes(),
                )
            },
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/duplicates/merge".into(),
            body: |_| {
                Some(
                    json!({
                        "canonical": "0190f2a4-5b6c-7d8e-9f00-112233445566",
                        "others": ["0190f2a4-5b6c-7d8e-9f00-112233445577"],
                        "chosen": {}
                    })
                    .to_string()
                    .into_bytes(),
                )
            },
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/duplicates/undo".into(),
            body: |_| {
                Some(
                    json!({ "canonical": "0190f2a4-5b6c-7d8e-9f00-112233445566", "merge": 0 })
                        .to_string()
                        .into_bytes(),
                )
            },
            rule: staff_only,
        },
        Row {
            method: "POST",
            path: |_, _| {
                "/api/imports?form=diaspora_registration&association=assoc-a&name=r.csv&dry_run=true"
                    .into()
            },
            body: |_| Some(b"full_name\nPalesa\n".to_vec()),
            rule: managers,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/odata/diaspora_registration.svc".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/odata/diaspora_registration.svc/$metadata".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/odata/diaspora_registration.svc/Submissions".into(),
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| {
                "/api/odata/diaspora_registration.svc/Submissions('0190f2a4-5b6c-7d8e-9f00-112233445566')/children"
                    .into()
            },
            body: none,
            rule: staff_only,
        },
        Row {
            method: "GET",
            path: |_, _| "/api/public-links".into(),
            body: none,
            rule: admin_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/public-links".into(),
            body: |_| {
                Some(
                    json!({ "form": "diaspora_registration" })
                        .to_string()
                        .into_bytes(),
                )
            },
            rule: admin_only,
        },
        Row {
            method: "POST",
            path: |callers, _| format!("/api/public-links/{}/revoke", callers.public_link),
            body: none,
            rule: admin_only,
        },
        Row {
            method: "POST",
            path: |_, _| "/api/sync".into(),
            body: |_| Some(b"not a frame".to_vec()),
            rule: enrolled_devices,
        },
        Row {
            method: "GET",
            path: |_, _| "/metrics".into(),
            body: none,
            rule: |who| match who {
                Who::Admin => Allowed,
                _ => Unauthorized,
            },
        },
        Row {
            method: "POST",
            path: |_, _| "/api/staff/sync".into(),
            body: |_| Some(b"not a frame".to_vec()),
            rule: staff_only,
        },
        // Public by design: the link's secret is the authorisation.
        Row {
            method: "POST",
            path: |_, _| "/api/devices/enrol".into(),
            body: |_| Some(json!({ "code": "a guess" }).to_string().into_bytes()),
            rule: public,
        },
    ]
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_matrix_says() {
    let f = fixture();
    let callers = Callers::new(&f).await;
    let mut failures = Vec::new();
    let mut cell = 0;
    for row in rows() {
        for who in EVERYONE {
            cell += 1;
            let path = (row.path)(&callers, cell);
            let (status, body, cache_control) =
                ask(&f, &callers, who, row.method, &path, (row.body)(cell)).await;
            // No answer may be kept by a cache: they carry enrolment codes, CSRF tokens,
            // people's e-mail addresses and submissions, or say who may see them.
            if cache_control != "no-store" {
                failures.push(format!(
                    "{} {path} as {who:?}: Cache-Control {cache_control}, not no-store",
                    row.method
                ));
            }
            let got = match status {
                StatusCode::UNAUTHORIZED => Unauthorized,
                StatusCode::FORBIDDEN if !body.contains("enrolment_invalid") => Forbidden,
                _ => Allowed,
            };
            let want = expected(&row, who);
            if got != want {
                failures.push(format!(
                    "{} {path} as {who:?}: expected {want:?}, got {status} {body}",
                    row.method
                ));
            }
            if got != Allowed {
                // A refusal is an error and nothing else.
                let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let keys: Vec<&String> = json
                    .as_object()
                    .map(|o| o.keys().collect())
                    .unwrap_or_default();
                if keys != ["error"] {
                    failures.push(format!("{} {path} as {who:?} leaked: {body}", row.method));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cell, rows().len() * EVERYONE.len());
}
