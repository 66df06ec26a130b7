//! The Phones screen (`#/phones`), for coordinators and admins: a form that makes an
//! enrolment link (its link and QR code shown once, to copy or print), the enrolment links,
//! the enrolled phones (each revocable, after a confirmation), and, for admins, public
//! survey links made and revoked the same way. A coordinator enrols phones for their own
//! association only; the server enforces it too.
//!
//! The QR code is the server's SVG (presentation attributes only, so the CSP's
//! `style-src 'self'` allows it), checked by `phones::qr_markup` and put into the page as
//! it is. Printing marks the link's card and prints only it (`staff.css`, `@media print`).

use std::rc::Rc;

use gloo_events::EventListener;
use letsema_protocol::staff::{Association, FormSummary, Role, Session};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api;
use crate::dates::when;
use crate::phones::{
    Device, DraftChange, DraftProblem, Enrolment, EnrolmentDraft, NewPublicLink, PublicLink,
    newest_versions, qr_markup,
};
use crate::words::{PhoneWords, Words};

#[derive(Debug, Properties, PartialEq)]
pub struct PhonesProps {
    pub words: &'static Words,
    pub session: Session,
    /// A word from the page above (after set-up: what to do next).
    #[prop_or_default]
    pub notice: Option<&'static str>,
    pub on_signed_out: Callback<()>,
}

/// What the server lists.
#[derive(Debug, Clone, PartialEq, Default)]
struct Lists {
    enrolments: Vec<Enrolment>,
    devices: Vec<Device>,
    public_links: Vec<PublicLink>,
    loaded: bool,
    problem: Option<String>,
}

/// A link just made, shown once.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLink {
    pub link: String,
    pub qr_svg: String,
    /// Until when (seconds since the Unix epoch).
    pub expires_at: i64,
    /// How many phones it enrols (none: a public link, for anyone).
    pub uses: Option<u32>,
}

/// What the page last did, said in the language chosen now.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Done {
    DeviceRevoked,
    LinkRevoked,
}

/// What waits for a confirmation.
#[derive(Debug, Clone, PartialEq)]
enum Revoking {
    Device(String),
    Link(i64),
}

impl Reducible for EnrolmentDraft {
    type Action = DraftChange;

    fn reduce(self: Rc<Self>, change: DraftChange) -> Rc<Self> {
        Rc::new(self.changed(change))
    }
}

fn now_seconds() -> i64 {
    #[allow(clippy::cast_possible_truncation)]
    let now = (js_sys::Date::now() / 1000.0) as i64;
    now
}

/// An RFC 3339 time as the page writes times; as it came if it cannot be read.
fn written(code: &str, rfc3339: &str) -> String {
    let millis = js_sys::Date::parse(rfc3339);
    if millis.is_finite() {
        #[allow(clippy::cast_possible_truncation)]
        when(code, millis as i64)
    } else {
        rfc3339.to_owned()
    }
}

#[function_component(PhonesPage)]
pub fn phones_page(props: &PhonesProps) -> Html {
    let words = props.words;
    let phones = words.phones();
    let role = props.session.user.role;
    let admin = role == Role::Admin;
    let manages = matches!(role, Role::Admin | Role::Coordinator);
    let own = props.session.user.associations.clone();

    let lists = use_state(Lists::default);
    let reload = use_state(|| 0_u32);
    let forms = use_state(Vec::<FormSummary>::new);
    let associations = use_state(Vec::<Association>::new);
    let draft = {
        let first = if admin {
            String::new()
        } else {
            own.first().cloned().unwrap_or_default()
        };
        use_reducer(move || EnrolmentDraft::new(&first))
    };
    let problems = use_state(Vec::<DraftProblem>::new);
    let busy = use_state(|| false);
    let refusal = use_state(|| None::<String>);
    let created = use_state(|| None::<NewLink>);
    let public_form = use_state(String::new);
    let public_label = use_state(String::new);
    let public_busy = use_state(|| false);
    let public_refusal = use_state(|| None::<String>);
    let public_created = use_state(|| None::<NewLink>);
    let revoking = use_state(|| None::<Revoking>);
    let said = use_state(|| None::<Done>);

    // The forms and the associations, once.
    {
        let (forms, associations, draft) = (forms.clone(), associations.clone(), draft.clone());
        let on_signed_out = props.on_signed_out.clone();
        use_effect_with(manages, move |manages| {
            if *manages {
                wasm_bindgen_futures::spawn_local(async move {
                    match api::forms().await {
                        Ok(all) => {
                            let newest = newest_versions(&all);
                            draft.dispatch(DraftChange::Offered(
                                newest.iter().map(|f| f.form_id.clone()).collect(),
                            ));
                            forms.set(newest);
                        }
                        Err(error) => {
                            let _ = api::problem(error, words, &on_signed_out);
                        }
                    }
                    if admin && let Ok(list) = api::associations().await {
                        associations.set(list);
                    }
                });
            }
        });
    }
    // The lists, again after each change.
    {
        let (lists, on_signed_out) = (lists.clone(), props.on_signed_out.clone());
        use_effect_with((*reload, manages), move |(_, manages)| {
            if *manages {
                wasm_bindgen_futures::spawn_local(async move {
                    let answer = async {
                        let enrolments = api::enrolments().await?;
                        let devices = api::devices().await?;
                        let public_links = if admin {
                            api::public_links().await?
                        } else {
                            Vec::new()
                        };
                        Ok::<_, api::ApiError>((enrolments, devices, public_links))
                    };
                    match answer.await {
                        Ok((enrolments, devices, public_links)) => lists.set(Lists {
                            enrolments,
                            devices,
                            public_links,
                            loaded: true,
                            problem: None,
                        }),
                        Err(error) => {
                            if let Some(message) = api::problem(error, words, &on_signed_out) {
                                lists.set(Lists {
                                    loaded: true,
                                    problem: Some(format!("{} {message}", phones.failed)),
                                    ..(*lists).clone()
                                });
                            }
                        }
                    }
                });
            }
        });
    }
    // The confirmation's button takes the focus, as a dialog's would.
    use_effect_with((*revoking).clone(), |revoking| {
        if revoking.is_some()
            && let Some(button) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("confirm-revoke"))
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = button.focus();
        }
    });

    if !manages {
        return html! {
            <section class="phones" aria-labelledby="phones-title">
                <h2 id="phones-title">{ phones.title }</h2>
                <p class="notice" data-testid="phones-not-for-you">{ phones.not_for_reviewers }</p>
            </section>
        };
    }

    let create = {
        let (draft, problems, busy, refusal, created) = (
            draft.clone(),
            problems.clone(),
            busy.clone(),
            refusal.clone(),
            created.clone(),
        );
        let (reload, csrf) = (reload.clone(), props.session.csrf_token.clone());
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            refusal.set(None);
            let request = match draft.request() {
                Ok(request) => request,
                Err(found) => {
                    problems.set(found);
                    return;
                }
            };
            problems.set(Vec::new());
            busy.set(true);
            let (busy, refusal, created, reload) = (
                busy.clone(),
                refusal.clone(),
                created.clone(),
                reload.clone(),
            );
            let (csrf, on_signed_out) = (csrf.clone(), on_signed_out.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::create_enrolment(&csrf, &request).await {
                    Ok(answer) => {
                        created.set(Some(NewLink {
                            link: answer.link,
                            qr_svg: answer.qr_svg,
                            expires_at: answer.enrolment.expires_at,
                            uses: Some(answer.enrolment.uses_left),
                        }));
                        reload.set(reload.wrapping_add(1));
                    }
                    Err(error) => refusal.set(api::problem(error, words, &on_signed_out)),
                }
                busy.set(false);
            });
        })
    };
    let create_public = {
        let (public_form, public_label) = (public_form.clone(), public_label.clone());
        let (busy, refusal, created) = (
            public_busy.clone(),
            public_refusal.clone(),
            public_created.clone(),
        );
        let (forms, reload, csrf) = (
            forms.clone(),
            reload.clone(),
            props.session.csrf_token.clone(),
        );
        let on_signed_out = props.on_signed_out.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if *busy {
                return;
            }
            // The select shows the first form until another is chosen.
            let form = match (*public_form).clone() {
                chosen if !chosen.is_empty() => chosen,
                _ => forms.first().map(|f| f.form_id.clone()).unwrap_or_default(),
            };
            if form.is_empty() {
                refusal.set(Some(phones.no_forms.to_owned()));
                return;
            }
            let request = NewPublicLink {
                form,
                label: public_label.trim().to_owned(),
            };
            refusal.set(None);
            busy.set(true);
            let (busy, refusal, created, reload) = (
                busy.clone(),
                refusal.clone(),
                created.clone(),
                reload.clone(),
            );
            let (csrf, on_signed_out) = (csrf.clone(), on_signed_out.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::create_public_link(&csrf, &request).await {
                    Ok(answer) => {
                        created.set(Some(NewLink {
                            link: answer.link,
                            qr_svg: answer.qr_svg,
                            expires_at: answer.public_link.expires_at,
                            uses: None,
                        }));
                        reload.set(reload.wrapping_add(1));
                    }
                    Err(error) => refusal.set(api::problem(error, words, &on_signed_out)),
                }
                busy.set(false);
            });
        })
    };
    let confirm = {
        let (revoking, said, reload, lists) = (
            revoking.clone(),
            said.clone(),
            reload.clone(),
            lists.clone(),
        );
        let (csrf, on_signed_out) = (
            props.session.csrf_token.clone(),
            props.on_signed_out.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(target) = (*revoking).clone() else {
                return;
            };
            let (revoking, said, reload, lists) = (
                revoking.clone(),
                said.clone(),
                reload.clone(),
                lists.clone(),
            );
            let (csrf, on_signed_out) = (csrf.clone(), on_signed_out.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let (done, word) = match &target {
                    Revoking::Device(id) => {
                        (api::revoke_device(&csrf, id).await, Done::DeviceRevoked)
                    }
                    Revoking::Link(id) => {
                        (api::revoke_public_link(&csrf, *id).await, Done::LinkRevoked)
                    }
                };
                revoking.set(None);
                match done {
                    Ok(()) => said.set(Some(word)),
                    Err(error) => {
                        if let Some(message) = api::problem(error, words, &on_signed_out) {
                            lists.set(Lists {
                                problem: Some(message),
                                ..(*lists).clone()
                            });
                        }
                    }
                }
                reload.set(reload.wrapping_add(1));
            });
        })
    };
    let ask = |target: Revoking| {
        let (revoking, said) = (revoking.clone(), said.clone());
        Callback::from(move |_: MouseEvent| {
            said.set(None);
            revoking.set(Some(target.clone()));
        })
    };
    let cancel = {
        let revoking = revoking.clone();
        Callback::from(move |_: MouseEvent| revoking.set(None))
    };
    let confirmation = |question: &'static str| {
        html! {
            <div class="confirm" role="group" aria-labelledby="confirm-question">
                <p id="confirm-question">{ question }</p>
                <div class="actions">
                    <button type="button" id="confirm-revoke" class="danger"
                        onclick={confirm.clone()}>{ phones.yes_revoke }</button>
                    <button type="button" class="secondary" onclick={cancel.clone()}>
                        { words.cancel }</button>
                </div>
            </div>
        }
    };

    let name_of = |code: &str| {
        associations
            .iter()
            .find(|a| a.code == code)
            .and_then(|a| a.name.clone())
            .map_or_else(|| code.to_owned(), |name| format!("{name} ({code})"))
    };
    let title_of = |id: &str| {
        forms
            .iter()
            .find(|f| f.form_id == id)
            .map_or_else(|| id.to_owned(), |f| f.title.clone())
    };
    let now = now_seconds();
    let said_problem =
        |problem: DraftProblem| problems.contains(&problem).then(|| phones.problem(problem));
    let association_problem = said_problem(DraftProblem::Association);
    let forms_problem = said_problem(DraftProblem::NoForm);
    let uses_problem = said_problem(DraftProblem::Uses);
    let name_problem = said_problem(DraftProblem::Name);
    let problem_line = |id: &'static str, problem: &Option<String>| match problem {
        Some(text) => html! { <p class="problem" id={id}>{ text.clone() }</p> },
        None => Html::default(),
    };
    let invalid = |problem: &Option<String>| problem.is_some().then_some("true");
    let with_problem = |hint: &'static str, id: &'static str, problem: &Option<String>| {
        if problem.is_some() {
            format!("{hint} {id}")
        } else {
            hint.to_owned()
        }
    };

    let association_field = if admin {
        let on_input = {
            let draft = draft.clone();
            Callback::from(move |event: InputEvent| {
                let input: HtmlInputElement = event.target_unchecked_into();
                draft.dispatch(DraftChange::Association(input.value()));
            })
        };
        html! {
            <div class="field">
                <label for="enrol-association">{ words.association }</label>
                <input id="enrol-association" type="text" list="enrol-associations" maxlength="64"
                    autocomplete="off" value={draft.association.clone()} oninput={on_input}
                    aria-invalid={invalid(&association_problem)}
                    aria-describedby={with_problem("enrol-association-hint", "enrol-association-problem", &association_problem)} />
                <datalist id="enrol-associations">
                    { for associations.iter().map(|a| html! {
                        <option value={a.code.clone()}>
                            { a.name.clone().unwrap_or_else(|| a.code.clone()) }
                        </option>
                    }) }
                </datalist>
                <small id="enrol-association-hint">{ phones.association_hint }</small>
                { problem_line("enrol-association-problem", &association_problem) }
            </div>
        }
    } else {
        let on_change = {
            let draft = draft.clone();
            Callback::from(move |event: Event| {
                let select: HtmlSelectElement = event.target_unchecked_into();
                draft.dispatch(DraftChange::Association(select.value()));
            })
        };
        html! {
            <div class="field">
                <label for="enrol-association">{ words.association }</label>
                <select id="enrol-association" onchange={on_change}>
                    { for own.iter().map(|code| html! {
                        <option value={code.clone()} selected={*code == draft.association}>
                            { code.clone() }
                        </option>
                    }) }
                </select>
            </div>
        }
    };
    let form_boxes = html! {
        <fieldset class="form-choice" aria-describedby={forms_problem.as_ref().map(|_| "enrol-forms-problem")}>
            <legend>{ phones.forms }</legend>
            { for forms.iter().enumerate().map(|(i, form)| {
                let id = format!("enrol-form-{i}");
                let form_id = form.form_id.clone();
                let onchange = {
                    let draft = draft.clone();
                    Callback::from(move |event: Event| {
                        let input: HtmlInputElement = event.target_unchecked_into();
                        draft.dispatch(DraftChange::Form(form_id.clone(), input.checked()));
                    })
                };
                html! {
                    <div class="check">
                        <input type="checkbox" id={id.clone()} value={form.form_id.clone()}
                            checked={draft.forms.contains(&form.form_id)} {onchange} />
                        <label for={id}>{ phones.form_version(&form.title, &form.version) }</label>
                    </div>
                }
            }) }
            { problem_line("enrol-forms-problem", &forms_problem) }
        </fieldset>
    };
    let on_uses = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            draft.dispatch(DraftChange::Uses(input.value()));
        })
    };
    let on_name = {
        let draft = draft.clone();
        Callback::from(move |event: InputEvent| {
            let input: HtmlInputElement = event.target_unchecked_into();
            draft.dispatch(DraftChange::Name(input.value()));
        })
    };

    let enrol_section = html! {
        <section class="phones-panel" aria-labelledby="new-link-title">
            <h3 id="new-link-title">{ phones.new_link }</h3>
            if forms.is_empty() {
                <p>{ phones.no_forms }</p>
            } else {
                <form class="enrol-form" onsubmit={create} novalidate=true data-testid="enrol-form">
                    <div class="export-options">
                        { association_field }
                        <div class="field">
                            <label for="enrol-uses">{ phones.uses }</label>
                            <input id="enrol-uses" type="number" inputmode="numeric" min="1" max="500"
                                value={draft.uses.clone()} oninput={on_uses}
                                aria-invalid={invalid(&uses_problem)}
                                aria-describedby={with_problem("enrol-uses-hint", "enrol-uses-problem", &uses_problem)} />
                            <small id="enrol-uses-hint">{ phones.uses_hint() }</small>
                            { problem_line("enrol-uses-problem", &uses_problem) }
                        </div>
                        <div class="field">
                            <label for="enrol-name">{ phones.association_name }</label>
                            <input id="enrol-name" type="text" maxlength="120" autocomplete="off"
                                value={draft.name.clone()} oninput={on_name}
                                aria-invalid={invalid(&name_problem)}
                                aria-describedby={with_problem("enrol-name-hint", "enrol-name-problem", &name_problem)} />
                            <small id="enrol-name-hint">{ phones.association_name_hint }</small>
                            { problem_line("enrol-name-problem", &name_problem) }
                        </div>
                    </div>
                    { form_boxes }
                    <div role="alert">
                        if !problems.is_empty() {
                            <p class="problem">{ phones.check_the_form }</p>
                        }
                        if let Some(refusal) = &*refusal {
                            <p class="problem">{ refusal.clone() }</p>
                        }
                    </div>
                    <button type="submit" disabled={*busy}>
                        { if *busy { phones.creating } else { phones.create } }
                    </button>
                </form>
            }
            if let Some(shown) = &*created {
                <LinkCard words={words} title={phones.new_link_title} shown={shown.clone()}
                    id="enrolment" />
            }
        </section>
    };

    let enrolment_columns = [
        (words.association, false),
        (phones.forms, false),
        (phones.uses_left, true),
        (phones.valid_until, false),
        (phones.state, false),
    ];
    let enrolment_rows = lists.enrolments.iter().map(|e| {
        let state = e.state(now);
        html! {
            <tr data-testid="enrolment-row" data-association={e.association.clone()}>
                { cells(&enrolment_columns, [
                    html! { { name_of(&e.association) } },
                    html! { { e.forms.iter().map(|f| title_of(f)).collect::<Vec<_>>().join(", ") } },
                    html! { { e.uses_left } },
                    html! { { when(words.code, e.expires_at * 1000) } },
                    html! { { phones.state_name(state) } },
                ]) }
            </tr>
        }
    });
    let enrolments_section = html! {
        <section class="phones-panel" aria-labelledby="enrolments-title">
            <h3 id="enrolments-title">{ phones.enrolments }</h3>
            if lists.loaded && lists.enrolments.is_empty() {
                <p>{ phones.no_enrolments }</p>
            } else {
                { table("enrolments-title", "enrolments", &enrolment_columns, enrolment_rows.collect()) }
            }
        </section>
    };

    let volunteer_devices: Vec<&Device> = lists.devices.iter().filter(|d| !d.public).collect();
    let device_columns = [
        (phones.phone, false),
        (words.association, false),
        (phones.enrolled, false),
        (phones.last_seen, false),
        (phones.state, false),
    ];
    let device_rows = volunteer_devices.iter().map(|d| {
        let name = if d.label.is_empty() { d.id.clone() } else { format!("{} ({})", d.label, d.id) };
        let association = d.association_name.as_ref().map_or_else(
            || d.association.clone(),
            |n| format!("{n} ({})", d.association),
        );
        let last_seen = d
            .last_seen_at
            .map_or_else(|| phones.never.to_owned(), |s| when(words.code, s * 1000));
        let action = if d.revoked {
            html! { { phones.state_name(crate::phones::LinkState::Revoked) } }
        } else if *revoking == Some(Revoking::Device(d.id.clone())) {
            confirmation(phones.confirm_device)
        } else {
            html! {
                <button type="button" class="secondary" aria-label={phones.revoke_phone(&name)}
                    onclick={ask(Revoking::Device(d.id.clone()))}>{ phones.revoke }</button>
            }
        };
        html! {
            <tr data-testid="device-row" data-device={d.id.clone()} data-association={d.association.clone()}>
                { cells(&device_columns, [
                    html! { { name } },
                    html! { { association } },
                    html! { { written(words.code, &d.created_at) } },
                    html! { { last_seen } },
                    action,
                ]) }
            </tr>
        }
    });
    let devices_section = html! {
        <section class="phones-panel" aria-labelledby="devices-title">
            <h3 id="devices-title">{ phones.devices }</h3>
            if lists.loaded && volunteer_devices.is_empty() {
                <p>{ phones.no_devices }</p>
            } else {
                { table("devices-title", "devices", &device_columns, device_rows.collect()) }
            }
        </section>
    };

    let public_section = if admin {
        let on_form = {
            let public_form = public_form.clone();
            Callback::from(move |event: Event| {
                let select: HtmlSelectElement = event.target_unchecked_into();
                public_form.set(select.value());
            })
        };
        let on_label = {
            let public_label = public_label.clone();
            Callback::from(move |event: InputEvent| {
                let input: HtmlInputElement = event.target_unchecked_into();
                public_label.set(input.value());
            })
        };
        let link_columns = [
            (phones.public_label, false),
            (words.form, false),
            (phones.joined, true),
            (phones.valid_until, false),
            (phones.state, false),
        ];
        let link_rows = lists.public_links.iter().map(|l| {
            let action = match l.state(now) {
                crate::phones::LinkState::Open
                    if *revoking == Some(Revoking::Link(l.id)) =>
                {
                    confirmation(phones.confirm_link)
                }
                crate::phones::LinkState::Open => {
                    let name = if l.label.is_empty() { title_of(&l.form) } else { l.label.clone() };
                    html! {
                        <button type="button" class="secondary" aria-label={phones.revoke_phone(&name)}
                            onclick={ask(Revoking::Link(l.id))}>{ phones.revoke }</button>
                    }
                }
                state => html! { { phones.state_name(state) } },
            };
            html! {
                <tr data-testid="public-link-row">
                    { cells(&link_columns, [
                        html! { { if l.label.is_empty() { "—".to_owned() } else { l.label.clone() } } },
                        html! { { title_of(&l.form) } },
                        html! { { l.joined } },
                        html! { { when(words.code, l.expires_at * 1000) } },
                        action,
                    ]) }
                </tr>
            }
        });
        html! {
            <section class="phones-panel" aria-labelledby="public-title">
                <h3 id="public-title">{ phones.public_title }</h3>
                <p class="hint">{ phones.public_intro }</p>
                if !forms.is_empty() {
                    <form class="enrol-form" onsubmit={create_public} data-testid="public-link-form">
                        <div class="export-options">
                            <div class="field">
                                <label for="public-form">{ words.form }</label>
                                <select id="public-form" onchange={on_form}>
                                    { for forms.iter().map(|f| html! {
                                        <option value={f.form_id.clone()} selected={f.form_id == *public_form}>
                                            { f.title.clone() }
                                        </option>
                                    }) }
                                </select>
                            </div>
                            <div class="field">
                                <label for="public-label">{ phones.public_label }</label>
                                <input id="public-label" type="text" maxlength="200" autocomplete="off"
                                    value={(*public_label).clone()} oninput={on_label} />
                            </div>
                        </div>
                        <div role="alert">
                            if let Some(refusal) = &*public_refusal {
                                <p class="problem">{ refusal.clone() }</p>
                            }
                        </div>
                        <button type="submit" disabled={*public_busy}>
                            { if *public_busy { phones.creating } else { phones.public_create } }
                        </button>
                    </form>
                }
                if let Some(shown) = &*public_created {
                    <LinkCard words={words} title={phones.new_public_link_title} shown={shown.clone()}
                        id="public" />
                }
                <h4 id="public-links-title">{ phones.public_links }</h4>
                if lists.loaded && lists.public_links.is_empty() {
                    <p>{ phones.no_public_links }</p>
                } else {
                    { table("public-links-title", "public-links", &link_columns, link_rows.collect()) }
                }
            </section>
        }
    } else {
        Html::default()
    };

    html! {
        <section class="phones" aria-labelledby="phones-title" data-testid="phones">
            <h2 id="phones-title">{ phones.title }</h2>
            if let Some(notice) = props.notice {
                <p class="notice" data-testid="phones-notice">{ notice }</p>
            }
            <p class="hint">{ phones.intro }</p>
            <div role="status" data-testid="phones-said">
                if let Some(done) = *said {
                    <p class="notice">{ match done {
                        Done::DeviceRevoked => phones.device_revoked,
                        Done::LinkRevoked => phones.link_revoked,
                    } }</p>
                }
            </div>
            if let Some(problem) = &lists.problem {
                <p class="problem" role="alert">{ problem.clone() }</p>
            }
            { enrol_section }
            { enrolments_section }
            { devices_section }
            { public_section }
        </section>
    }
}

/// A column of one of the page's tables: its title, and whether it holds numbers
/// (right-aligned).
type Column = (&'static str, bool);

/// One of the page's tables (enrolment links, phones, public links), in a region that
/// scrolls sideways when it is wider than the screen; on a phone each row is a card (see
/// `cells`). `title` is the id of the heading that names it.
fn table(title: &'static str, testid: &'static str, columns: &[Column], rows: Html) -> Html {
    html! {
        <div class="table-scroll" tabindex="0" role="region" aria-labelledby={title}>
            <table class="phones-table" data-testid={testid}>
                <thead><tr>
                    { for columns.iter().map(|(header, number)| html! {
                        <th scope="col" class={number.then_some("number")}>{ *header }</th>
                    }) }
                </tr></thead>
                <tbody>{ rows }</tbody>
            </table>
        </div>
    }
}

/// A row's cells, one for each of `columns`: each carries its column's title, which a
/// phone's narrow layout shows before the value (`staff.css`), since it hides the header.
fn cells<const N: usize>(columns: &[Column; N], values: [Html; N]) -> Html {
    columns
        .iter()
        .zip(values)
        .map(|((title, number), value)| {
            html! {
                <td data-label={*title} class={number.then_some("number")}>{ value }</td>
            }
        })
        .collect()
}

#[derive(Debug, Properties, PartialEq)]
struct LinkCardProps {
    words: &'static Words,
    title: &'static str,
    shown: NewLink,
    /// Tells the enrolment link's card from the public link's (ids, test ids).
    id: &'static str,
}

/// A link just made: the link to copy, its QR code, and Print, which prints this card only.
#[function_component(LinkCard)]
fn link_card(props: &LinkCardProps) -> Html {
    let phones: &'static PhoneWords = props.words.phones();
    let card = use_node_ref();
    let input = use_node_ref();
    let copied = use_state(|| None::<&'static str>);
    // A new link: whatever was said of the one before is not true of it.
    {
        let copied = copied.clone();
        use_effect_with(props.shown.link.clone(), move |_| copied.set(None));
    }
    let copy = {
        let (input, copied, link) = (input.clone(), copied.clone(), props.shown.link.clone());
        Callback::from(move |_: MouseEvent| {
            let (input, copied, link) = (input.clone(), copied.clone(), link.clone());
            wasm_bindgen_futures::spawn_local(async move {
                // Only a secure page (https, or this computer) has the clipboard.
                let clipboard = web_sys::window()
                    .map(|w| w.navigator().clipboard())
                    .filter(|c| !c.is_undefined());
                let written = match clipboard {
                    Some(clipboard) => JsFuture::from(clipboard.write_text(&link)).await.is_ok(),
                    None => false,
                };
                if written {
                    copied.set(Some(phones.copied));
                } else {
                    if let Some(input) = input.cast::<HtmlInputElement>() {
                        let _ = input.focus();
                        input.select();
                    }
                    copied.set(Some(phones.copy_by_hand));
                }
            });
        })
    };
    let print = {
        let card = card.clone();
        Callback::from(move |_: MouseEvent| {
            let (Some(window), Some(element)) =
                (web_sys::window(), card.cast::<web_sys::Element>())
            else {
                return;
            };
            let _ = element.set_attribute("data-printing", "");
            // `print` returns at once in some browsers and when the dialog closes in others:
            // the mark goes after printing either way.
            EventListener::once(&window, "afterprint", move |_| {
                let _ = element.remove_attribute("data-printing");
            })
            .forget();
            let _ = window.print();
        })
    };
    let title_id = format!("{}-link-title", props.id);
    let link_id = format!("{}-link", props.id);
    let until = when(props.words.code, props.shown.expires_at * 1000);
    let note = match props.shown.uses {
        Some(uses) => phones.link_valid(&until, uses),
        None => format!("{}: {until}.", phones.valid_until),
    };
    let qr = qr_markup(&props.shown.qr_svg)
        .map(|svg| Html::from_html_unchecked(AttrValue::from(svg.to_owned())));
    html! {
        <div class="link-card" ref={card} aria-labelledby={title_id.clone()}
            role="group" data-testid={format!("{}-link-card", props.id)}>
            <h4 id={title_id}>{ props.title }</h4>
            <label for={link_id.clone()}>{ phones.link }</label>
            <input id={link_id} ref={input} class="link no-print" type="text" readonly=true
                value={props.shown.link.clone()} data-testid="new-link" />
            // Printed in full, where the field would cut it.
            <p class="print-only link-text">{ props.shown.link.clone() }</p>
            <p class="note">{ note }</p>
            <p class="note no-print">{ phones.shown_once }</p>
            if let Some(qr) = qr {
                <div class="qr" role="img" aria-label={phones.qr} data-testid="qr">{ qr }</div>
            }
            <div class="actions no-print">
                <button type="button" onclick={copy}>{ phones.copy }</button>
                <button type="button" class="secondary" onclick={print}>{ phones.print }</button>
            </div>
            <div role="status" class="no-print" data-testid="copied">
                if let Some(text) = *copied {
                    <p>{ text }</p>
                }
            </div>
        </div>
    }
}
