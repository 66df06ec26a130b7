//! Publishing a form with the files it reads: `select_one_from_file`, `csv-external` and
//! `pulldata()` data travel in one `multipart/form-data` request, are checked against
//! what the form declares, and reach devices inside the definition.

mod common;

use common::{Browser, Fixture, fixture};
use serde_json::Value;
use warp::http::StatusCode;

const FORM: &str = "
| survey |
| | type | name | label | calculation |
| | select_one_from_file places.csv | place | Place | |
| | calculate | district | | instance('places')/root/item[name = ${place}]/district |
| | text | fruit | Fruit | |
| | calculate | price | | pulldata('prices', 'price', 'name', ${fruit}) |
| settings |
| | form_id | form_title | version |
| | shop | Shop | 1 |
";

const PLACES: &str = "name,label,district\nM,Maseru,maseru\nL,Leribe,leribe\n";
const PRICES: &str = "name,price\napple,3\nbanana,5\n";

/// A multipart body: the form as `form`, each file as `file` with its filename.
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "letsema-test-boundary-7d2f";
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match filename {
            Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(
            format!(
                "Content-Disposition: {disposition}\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn publish(
    f: &Fixture,
    browser: &Browser,
    parts: &[(&str, Option<&str>, &[u8])],
) -> (StatusCode, Value) {
    let (content_type, body) = multipart(parts);
    let response = warp::test::request()
        .method("POST")
        .path("/api/forms?name=shop.md")
        .header("cookie", &browser.cookie)
        .header("x-csrf-token", &browser.csrf)
        .header("content-type", content_type)
        .header("content-length", body.len().to_string())
        .body(body)
        .reply(&letsema_server::routes::routes(f.state.clone()))
        .await;
    let json = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    (response.status(), json)
}

#[tokio::test]
async fn a_form_is_published_with_its_files_and_carries_their_data() {
    let f = fixture();
    let admin = f.staff("admin@example.org").await;
    let form = FORM.as_bytes();
    let (status, body) = publish(
        &f,
        &admin,
        &[
            ("form", Some("shop.md"), form),
            ("file", Some("places.csv"), PLACES.as_bytes()),
            ("file", Some("prices.csv"), PRICES.as_bytes()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["form_id"], "shop");

    let (status, version) = f
        .send("GET", "/api/forms/shop?version=1", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let definition = &version["definition"];
    let places = &definition["choice_lists"][0];
    assert_eq!(places["name"], "places");
    assert_eq!(places["from_file"]["file"], "places.csv");
    assert_eq!(places["choices"][1]["value"], "L");
    assert_eq!(places["choices"][1]["properties"]["district"], "leribe");
    let prices = &definition["instances"][0];
    assert_eq!(prices["id"], "prices");
    assert_eq!(prices["root"]["children"][1]["children"][1]["text"], "5");

    // The same form and files again: idempotent. Other data under the same version: refused.
    let (status, _) = publish(
        &f,
        &admin,
        &[
            ("form", Some("shop.md"), form),
            ("file", Some("prices.csv"), PRICES.as_bytes()),
            ("file", Some("places.csv"), PLACES.as_bytes()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = publish(
        &f,
        &admin,
        &[
            ("form", Some("shop.md"), form),
            ("file", Some("places.csv"), PLACES.as_bytes()),
            ("file", Some("prices.csv"), b"name,price\napple,4\n"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "version_taken");
}

#[tokio::test]
async fn missing_unused_and_damaged_files_are_refused_with_what_to_do() {
    let f = fixture();
    let admin = f.staff("admin@example.org").await;
    let form = FORM.as_bytes();
    let (status, body) = publish(
        &f,
        &admin,
        &[
            ("form", Some("shop.md"), form),
            ("file", Some("places.csv"), PLACES.as_bytes()),
            ("file", Some("notes.csv"), b"a\n1\n"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "invalid_files");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`notes.csv` was attached, but the form does not read it"),
        "{message}"
    );
    assert!(
        message.contains("the form reads `prices.csv`, which was not attached"),
        "{message}"
    );

    let (status, body) = publish(
        &f,
        &admin,
        &[
            ("form", Some("shop.md"), form),
            ("file", Some("places.csv"), b"name,label\nM,Maseru,extra\n"),
            ("file", Some("prices.csv"), PRICES.as_bytes()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("`places.csv`: line 2 has 3 values")),
        "{body}"
    );

    // Without the multipart body, the form alone is refused for its missing files.
    let response = warp::test::request()
        .method("POST")
        .path("/api/forms?name=shop.md")
        .header("cookie", &admin.cookie)
        .header("x-csrf-token", &admin.csrf)
        .body(FORM)
        .reply(&letsema_server::routes::routes(f.state.clone()))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn malformed_multipart_requests_are_bad_requests() {
    let f = fixture();
    let admin = f.staff("admin@example.org").await;
    let form = FORM.as_bytes();
    for (parts, expected) in [
        (
            vec![("file", Some("places.csv"), PLACES.as_bytes())],
            "No part named `form`",
        ),
        (
            vec![
                ("form", Some("shop.md"), form),
                ("form", Some("shop.md"), form),
            ],
            "Send one part named `form`",
        ),
        (
            vec![
                ("form", Some("shop.md"), form),
                ("picture", Some("a.png"), b"x".as_slice()),
            ],
            "Unknown part `picture`",
        ),
        (
            vec![
                ("form", Some("shop.md"), form),
                ("file", Some("../etc/places.csv"), b"x".as_slice()),
            ],
            "needs a filename without a folder",
        ),
        (
            vec![
                ("form", Some("shop.md"), form),
                ("file", None, b"x".as_slice()),
            ],
            "needs a filename without a folder",
        ),
    ] {
        let (status, body) = publish(&f, &admin, &parts).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{expected}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(expected)),
            "{expected}: {body}"
        );
    }
    let big = vec![b'a'; 5 * 1024 * 1024 + 1];
    let (status, body) = publish(
        &f,
        &admin,
        &[
            ("form", Some("shop.md"), form),
            ("file", Some("places.csv"), &big),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    // Only admins publish, with or without files.
    let coord = f.staff("coord-a@example.org").await;
    let (status, _) = publish(&f, &coord, &[("form", Some("shop.md"), form)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_xform_is_published_through_the_api_as_an_xlsform_is() {
    let f = fixture();
    let admin = f.staff("admin@example.org").await;
    let xform = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/xforms/javarosa/Simpler_Cascading_Select_Form.xml"
    ))
    .expect("the fixture");
    let (status, body) = f
        .send_bytes(
            "POST",
            "/api/forms?name=cascading.xml",
            Some(&admin),
            &xform,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["form_id"], "SimplerCascadingSelect");
    let (status, version) = f
        .send(
            "GET",
            "/api/forms/SimplerCascadingSelect?version=1",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        version["definition"]["choice_lists"]
            .as_array()
            .is_some_and(|lists| !lists.is_empty()),
        "{version}"
    );
}
