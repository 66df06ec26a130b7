//! `letsema load --url URL --submissions N [--devices D] [--seed S]`: the diaspora-500
//! workload against any running server, over real HTTP, as volunteers' phones would: each
//! simulated phone enrols itself, captures its share of submissions, syncs, syncs again
//! with nothing new, edits one field in 10% of them and syncs. One line per phase: bytes
//! each way, requests and time, so anyone can measure a deployment. Every phone makes its
//! first request of a phase (encoding what it pushes) before the phase's clock starts, as
//! real phones would on their own processors; the line says how long that took.

use std::io::Write;
use std::time::Instant;

use letsema_doc::{AssociationId, DeviceId, SessionId, Timestamp, Writer};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;

use super::remote::{SyncAs, Traffic, describe, http_client, sign_in, sync_from};

/// What `letsema load` was asked to do.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The server, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Submissions in all.
    pub submissions: usize,
    /// Simulated phones, syncing at the same time.
    pub devices: usize,
    /// The workload's seed.
    pub seed: u64,
    /// How phones enrol: an enrolment link (or its code) with enough uses.
    pub enrolment: Enrolment,
    /// A PEM file of certificates to trust besides the system's (for `https://`).
    pub ca_cert: Option<std::path::PathBuf>,
}

/// Where the phones' enrolment comes from.
#[derive(Debug, Clone)]
pub enum Enrolment {
    /// An existing link or code.
    Link(String),
    /// An admin account that creates one (association `load-test`).
    Admin { email: String, password: String },
}

struct Phone {
    credential: String,
    client: Client<MemoryClientStore>,
}

/// Runs the load; prints its report to `out`.
pub fn run(options: &LoadOptions, out: &mut dyn Write) -> Result<(), String> {
    if options.devices == 0 || options.submissions == 0 {
        return Err("give at least one device and one submission".to_owned());
    }
    let runtime = tokio::runtime::Runtime::new()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(run_async(options, out))
}

async fn run_async(options: &LoadOptions, out: &mut dyn Write) -> Result<(), String> {
    let http = http_client(options.ca_cert.as_deref())?;
    let base = options.url.trim_end_matches('/').to_owned();
    let code = match &options.enrolment {
        Enrolment::Link(link) => link.rsplit('#').next().unwrap_or(link).to_owned(),
        Enrolment::Admin { email, password } => {
            create_enrolment(&http, &base, email, password, options.devices).await?
        }
    };
    let write_err = |e: std::io::Error| format!("cannot write the output: {e}");
    writeln!(
        out,
        "letsema load: {} submissions from {} phones against {base} (seed {})",
        options.submissions, options.devices, options.seed
    )
    .map_err(write_err)?;

    // Enrol and capture.
    let started = Instant::now();
    let mut phones = Vec::with_capacity(options.devices);
    for index in 0..options.devices {
        let enrolled = enrol(&http, &base, &code, index).await?;
        let credential = enrolled.credential;
        let association = AssociationId::parse(&enrolled.device.association)
            .map_err(|e| format!("the server gave a bad association: {e}"))?;
        let writer = Writer::new(
            DeviceId::parse(&enrolled.device.id)
                .map_err(|e| format!("the server gave a bad device id: {e}"))?,
            SessionId::from_bytes(&(options.seed ^ index as u64).to_le_bytes())
                .map_err(|e| e.to_string())?,
            None,
        );
        let mut client = Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new());
        let share = options.submissions / options.devices
            + usize::from(index < options.submissions % options.devices);
        let mut generator =
            letsema_workload::Generator::new(options.seed.wrapping_add(index as u64));
        let docs = generator
            .submissions_in(
                share,
                &writer,
                Some(&association),
                letsema_workload::DIASPORA_START,
            )
            .map_err(|e| e.to_string())?;
        for mut doc in docs {
            client.save_document(&mut doc).map_err(|e| e.to_string())?;
        }
        phones.push(Phone { credential, client });
    }
    writeln!(
        out,
        "enrol + capture     {:>6} phones {:>8.0} ms",
        options.devices,
        started.elapsed().as_secs_f64() * 1000.0
    )
    .map_err(write_err)?;

    let phases: [(&str, Option<f64>); 3] = [
        ("first sync", None),
        ("no-op sync", None),
        ("edit 10% + sync", Some(0.10)),
    ];
    for (name, edit_share) in phases {
        if let Some(share) = edit_share {
            for (index, phone) in phones.iter_mut().enumerate() {
                edit(phone, share, options.seed.wrapping_add(1000 + index as u64))?;
            }
        }
        // Each phone makes its first request (encoding what it pushes) on its own
        // processor: here, before the clock starts, so that the time is the server's.
        let preparing = Instant::now();
        let mut firsts = Vec::with_capacity(phones.len());
        for phone in &mut phones {
            phone.client.start_sync();
            firsts.push(phone.client.next_request().map_err(|e| e.to_string())?);
        }
        let prepared_ms = preparing.elapsed().as_secs_f64() * 1000.0;
        let started = Instant::now();
        let mut tasks = Vec::new();
        for (phone, first) in phones.drain(..).zip(firsts) {
            let http = http.clone();
            let base = base.clone();
            tasks.push(tokio::spawn(async move {
                sync_phone(&http, &base, phone, first).await
            }));
        }
        let mut total = Traffic::default();
        for task in tasks {
            let (phone, phase) = task
                .await
                .map_err(|e| format!("a phone's task failed: {e}"))??;
            total.requests += phase.requests;
            total.bytes_up += phase.bytes_up;
            total.bytes_down += phase.bytes_down;
            total.documents += phase.documents;
            phones.push(phone);
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let per_second = if ms > 0.0 {
            total.documents as f64 * 1000.0 / ms
        } else {
            0.0
        };
        writeln!(
            out,
            "{name:<19} {:>6} requests {:>10} B up {:>10} B down {:>8.0} ms  {:>6} documents acknowledged ({per_second:.0}/s; first requests made beforehand in {prepared_ms:.0} ms)",
            total.requests, total.bytes_up, total.bytes_down, ms, total.documents
        )
        .map_err(write_err)?;
    }
    Ok(())
}

/// Runs one phone's sync, whose first request is made, to the end.
async fn sync_phone(
    http: &reqwest::Client,
    base: &str,
    mut phone: Phone,
    first: Option<Vec<u8>>,
) -> Result<(Phone, Traffic), String> {
    let who = SyncAs::Device(phone.credential.clone());
    let traffic = sync_from(http, base, &who, &mut phone.client, first).await?;
    Ok((phone, traffic))
}

fn edit(phone: &mut Phone, share: f64, seed: u64) -> Result<(), String> {
    let ids = phone.client.store().doc_ids();
    let count = ((ids.len() as f64) * share).round() as usize;
    let mut generator = letsema_workload::Generator::new(seed);
    for id in ids.into_iter().take(count) {
        let Some(mut doc) = phone.client.open_document(id).map_err(|e| e.to_string())? else {
            continue;
        };
        // Members who declined consent have nothing to edit.
        if generator
            .edit_one_field(
                &mut doc,
                Timestamp(letsema_workload::DIASPORA_START.0 + 86_400_000),
            )
            .is_ok()
        {
            phone
                .client
                .save_document(&mut doc)
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

async fn enrol(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    index: usize,
) -> Result<letsema_protocol::Enrolled, String> {
    let body = serde_json::json!({ "code": code, "label": format!("load test phone {index}") });
    let response = http
        .post(format!("{base}/api/devices/enrol"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| format!("cannot reach {base}: {}", describe(&e)))?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "enrolling phone {index} failed ({status}): {text}; the enrolment needs one use per phone"
        ));
    }
    let enrolled: letsema_protocol::Enrolled = serde_json::from_str(&text)
        .map_err(|e| format!("the enrolment answer is not a device ({e}): {text}"))?;
    Ok(enrolled)
}

async fn create_enrolment(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
    devices: usize,
) -> Result<String, String> {
    let session = sign_in(http, base, email, password).await?;
    let response = http
        .post(format!("{base}/api/enrolments"))
        .header("content-type", "application/json")
        .header("cookie", session.cookie)
        .header("x-csrf-token", session.csrf)
        .body(
            serde_json::json!({
                "association": "load-test",
                "forms": ["diaspora_registration"],
                "uses": devices,
                "expires_in_hours": 1,
                "label": "letsema load"
            })
            .to_string(),
        )
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "creating the enrolment failed ({status}): {text}; is the reference form published (serve --demo)?"
        ));
    }
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    json["link"]
        .as_str()
        .and_then(|link| link.rsplit('#').next())
        .map(str::to_owned)
        .ok_or_else(|| format!("the enrolment answer has no link: {text}"))
}
