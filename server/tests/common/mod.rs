//! What the route tests share: a server state over a fresh database with staff accounts,
//! and signing in as a browser does.
#![allow(dead_code)] // Each test file uses its own part of this.

pub mod forms;
pub mod process;
pub mod register;

use letsema_server::auth::hash_password;
use letsema_server::routes::routes;
use letsema_server::state::AppState;
use letsema_server::store::{Database, NewUser, Role, SharedStore};
use warp::http::StatusCode;
use warp::test::request;

pub const PASSWORD: &str = "a long enough password";

/// Staff accounts every fixture has: (email, role, associations).
pub const STAFF: &[(&str, Role, &[&str])] = &[
    ("admin@example.org", Role::Admin, &[]),
    ("reviewer@example.org", Role::Reviewer, &[]),
    ("coord-a@example.org", Role::Coordinator, &["assoc-a"]),
    ("coord-b@example.org", Role::Coordinator, &["assoc-b"]),
];

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub state: AppState,
}

/// The backend the tests run on: `LETSEMA_TEST_BACKEND=postgres` (with
/// `LETSEMA_TEST_POSTGRES_URL`, as `./dev test` sets them) for PostgreSQL, a fresh database
/// per store; otherwise the embedded SQLite database in `data_dir`.
pub fn test_store(data_dir: &std::path::Path) -> SharedStore {
    match std::env::var("LETSEMA_TEST_BACKEND").as_deref() {
        Ok("postgres") => {
            Database::Postgres {
                url: letsema_server::store::postgres_testing::fresh_database(),
                pool_size: 8,
            }
            .open()
            .expect("the PostgreSQL store opens")
            .store
        }
        Ok("sqlite") | Err(_) => embedded_store(data_dir),
        Ok(other) => panic!("LETSEMA_TEST_BACKEND={other}: use sqlite or postgres"),
    }
}

/// The embedded SQLite database in `data_dir`, whatever the tests' backend: for what only
/// it has (its backup and restore commands, its files).
pub fn embedded_store(data_dir: &std::path::Path) -> SharedStore {
    letsema_server::store::open(data_dir).expect("store opens")
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = test_store(&dir.path().join("data"));
    fixture_on(dir, store)
}

/// A fixture on the embedded database, whatever the tests' backend.
pub fn embedded_fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = embedded_store(&dir.path().join("data"));
    fixture_on(dir, store)
}

fn fixture_on(dir: tempfile::TempDir, store: SharedStore) -> Fixture {
    let hash = hash_password(PASSWORD).expect("hash");
    for (email, role, associations) in STAFF {
        store
            .add_user(
                &NewUser {
                    email: (*email).to_owned(),
                    display_name: (*email).to_owned(),
                    role: *role,
                    associations: associations.iter().map(|a| (*a).to_owned()).collect(),
                    password_hash: hash.clone(),
                },
                "test",
                None,
            )
            .expect("user added");
    }
    let (name, bytes) = letsema_server::store::REFERENCE_FORM;
    letsema_server::store::publish_file(&*store, name, bytes, "test")
        .expect("reference form published");
    Fixture {
        state: AppState::new(store, dir.path().join("web"), "http://127.0.0.1:8080"),
        dir,
    }
}

/// A signed-in browser: its cookie pair and CSRF token.
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

impl Fixture {
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Browser, StatusCode> {
        let response = request()
            .method("POST")
            .path("/api/session")
            .json(&serde_json::json!({ "email": email, "password": password }))
            .reply(&routes(self.state.clone()))
            .await;
        if response.status() != StatusCode::OK {
            return Err(response.status());
        }
        let cookie = response.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        let body: serde_json::Value = serde_json::from_slice(response.body()).expect("JSON");
        Ok(Browser {
            cookie: cookie.split(';').next().expect("a pair").to_owned(),
            csrf: body["csrf_token"].as_str().expect("csrf").to_owned(),
        })
    }

    /// How the audit log names the staff account with this e-mail address (`user:ID`).
    pub fn actor(&self, email: &str) -> String {
        let user = self
            .state
            .store
            .list_users()
            .expect("users")
            .into_iter()
            .find(|u| u.email == email)
            .expect("a staff account of the fixture");
        format!("user:{}", user.id)
    }

    pub async fn staff(&self, email: &str) -> Browser {
        self.sign_in(email, PASSWORD).await.expect("signed in")
    }

    /// Runs the validator until nothing waits: the staff's table and exports show what it
    /// has judged.
    pub fn validate_all(&self) {
        let store = &self.state.store;
        let mut cache = letsema_server::store::FormCache::default();
        while store.validation_queue().expect("the queue") > 0 {
            letsema_server::validator::validate_batch(&**store, &mut cache).expect("validated");
        }
    }

    /// Syncs a phone's client to the end as the device with `credential`, every push
    /// accepted.
    pub async fn sync_phone(
        &self,
        credential: &str,
        client: &mut letsema_sync::client::Client<letsema_sync::client_store::MemoryClientStore>,
    ) {
        client.start_sync();
        let mut requests = 0;
        while let Some(frame) = client.next_request().expect("the client store works") {
            let (status, body) = self.post_sync(credential, frame).await;
            assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
            let progress = client.handle_response(&body).expect("a valid response");
            assert!(progress.rejected.is_empty(), "{:?}", progress.rejected);
            requests += 1;
            assert!(requests < 50, "the sync does not end");
        }
    }

    /// Sends a request; `browser` adds the cookie and the CSRF token.
    /// Sends `bytes` as a request's body (a file, not JSON).
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        browser: Option<&Browser>,
        bytes: &[u8],
    ) -> (StatusCode, serde_json::Value) {
        let mut builder = request()
            .method(method)
            .path(path)
            .header("content-length", bytes.len().to_string())
            .body(bytes);
        if let Some(browser) = browser {
            builder = builder
                .header("cookie", &browser.cookie)
                .header("x-csrf-token", &browser.csrf);
        }
        let response = builder.reply(&routes(self.state.clone())).await;
        let json = serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null);
        (response.status(), json)
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        browser: Option<&Browser>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        self.send_from(None, method, path, browser, body).await
    }

    /// As [`Fixture::send`], from the network address `remote` (`IP:PORT`).
    pub async fn send_from(
        &self,
        remote: Option<&str>,
        method: &str,
        path: &str,
        browser: Option<&Browser>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut builder = request().method(method).path(path);
        if let Some(remote) = remote {
            builder = builder.remote_addr(remote.parse().expect("IP:PORT"));
        }
        if let Some(browser) = browser {
            builder = builder
                .header("cookie", &browser.cookie)
                .header("x-csrf-token", &browser.csrf);
        }
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        let response = builder.reply(&routes(self.state.clone())).await;
        let json = serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null);
        (response.status(), json)
    }

    /// Sends a request as an enrolled device.
    pub async fn send_as_device(
        &self,
        method: &str,
        path: &str,
        credential: &str,
    ) -> (StatusCode, serde_json::Value) {
        let response = request()
            .method(method)
            .path(path)
            .header("authorization", format!("Bearer {credential}"))
            .reply(&routes(self.state.clone()))
            .await;
        let json = serde_json::from_slice(response.body()).unwrap_or(serde_json::Value::Null);
        (response.status(), json)
    }
}

/// An enrolled device: its id and bearer credential.
#[derive(Debug, Clone)]
pub struct EnrolledDevice {
    pub id: String,
    pub credential: String,
    /// The association it was enrolled for: its submissions must belong to it.
    pub association: letsema_doc::AssociationId,
}

impl Fixture {
    /// Enrols a phone for `association` the way a coordinator and a volunteer would.
    pub async fn enrol(&self, association: &str) -> EnrolledDevice {
        let coordinator = match association {
            "assoc-a" => "coord-a@example.org",
            "assoc-b" => "coord-b@example.org",
            _ => "admin@example.org",
        };
        let staff = self.staff(coordinator).await;
        let (status, created) = self
            .send(
                "POST",
                "/api/enrolments",
                Some(&staff),
                Some(serde_json::json!({
                    "association": association,
                    "forms": ["diaspora_registration"],
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let code = created["link"]
            .as_str()
            .and_then(|link| link.rsplit('#').next())
            .expect("a link with a code")
            .to_owned();
        let (status, enrolled) = self
            .send(
                "POST",
                "/api/devices/enrol",
                None,
                Some(serde_json::json!({ "code": code })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{enrolled}");
        EnrolledDevice {
            id: enrolled["device"]["id"].as_str().expect("id").to_owned(),
            credential: enrolled["credential"]
                .as_str()
                .expect("credential")
                .to_owned(),
            association: letsema_doc::AssociationId::parse(
                enrolled["device"]["association"]
                    .as_str()
                    .expect("association"),
            )
            .expect("a valid association"),
        }
    }

    /// Posts one sync frame as a device; returns the status and the response body.
    pub async fn post_sync(&self, credential: &str, frame: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let response = request()
            .method("POST")
            .path("/api/sync")
            .header("authorization", format!("Bearer {credential}"))
            .header("content-type", "application/x-letsema-sync")
            .body(frame)
            .reply(&routes(self.state.clone()))
            .await;
        (response.status(), response.body().to_vec())
    }
}
