//! One question on screen: its label, hint, widget and message.
//!
//! [`FieldView`] takes everything it shows in one `Rc<FieldData>`, so that yew skips it
//! when the form view renders again and the field's data did not change.

use std::rc::Rc;

use letsema_form::runtime::{ChoiceOption, Location};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use super::layout::Widget;
use super::model::FieldData;
use crate::dates;
use crate::words::Words;

/// `GeolocationPositionError.PERMISSION_DENIED`.
const PERMISSION_DENIED: f64 = 1.0;
/// `GeolocationPositionError.TIMEOUT`.
const TIMEOUT: f64 = 3.0;

/// How long the browser may look for the device's position.
const LOCATION_TIMEOUT_MS: u32 = 30_000;

/// What a person did to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldMsg {
    pub location: Location,
    pub action: FieldAction,
}

/// The kinds of things a person does to a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FieldAction {
    /// Typing: the engine follows at once, the answer is reported shortly after.
    Input(String),
    /// A settled answer (a choice, a date, a text box left): reported at once.
    Commit(String),
    /// The field was left.
    Blur,
    /// A check box of a select_multiple was ticked (`true`) or unticked.
    Toggle(String, bool),
}

/// The properties of [`FieldView`].
#[derive(Debug, Properties, PartialEq)]
pub(crate) struct FieldProps {
    pub data: Rc<FieldData>,
    pub words: &'static Words,
    pub on_event: Callback<FieldMsg>,
}

/// One question, drawn from its [`FieldData`].
#[function_component(FieldView)]
pub(crate) fn field_view(props: &FieldProps) -> Html {
    let data = &props.data;
    if !data.relevant || data.widget == Widget::Silent {
        return html! {};
    }
    match data.widget {
        Widget::Text { .. }
        | Widget::Barcode
        | Widget::MultilineText
        | Widget::Date
        | Widget::Time
        | Widget::DateTime => text_field(props),
        Widget::SelectOne { drop_down } => {
            if drop_down {
                html! { <SelectField data={props.data.clone()} words={props.words} on_event={props.on_event.clone()} /> }
            } else {
                radio_field(props)
            }
        }
        Widget::SelectMultiple => checkbox_field(props),
        Widget::Note => note_field(data),
        Widget::Acknowledge => acknowledge_field(props),
        Widget::Geopoint => html! {
            <GeoField data={props.data.clone()} words={props.words} on_event={props.on_event.clone()} />
        },
        Widget::Unsupported => html! {
            <div class="lf-field">
                <p class="lf-label" id={data.id.clone()}>{ &data.label }</p>
                { hint(data) }
                <p class="lf-unsupported">{ props.words.unsupported }</p>
            </div>
        },
        Widget::Silent => html! {},
    }
}

impl FieldProps {
    fn sender<E: 'static>(&self, make: impl Fn(E) -> FieldAction + 'static) -> Callback<E> {
        let on_event = self.on_event.clone();
        let location = self.data.location.clone();
        Callback::from(move |event: E| {
            on_event.emit(FieldMsg {
                location: location.clone(),
                action: make(event),
            })
        })
    }
}

fn hint_id(data: &FieldData) -> String {
    format!("{}-hint", data.id)
}

fn error_id(data: &FieldData) -> String {
    format!("{}-error", data.id)
}

fn shows_issue(data: &FieldData) -> bool {
    data.show_issue && data.issue.is_some()
}

/// The ids of the hint and the message, for `aria-describedby`.
fn described_by(data: &FieldData) -> Option<AttrValue> {
    let mut ids = Vec::new();
    if data.hint.is_some() {
        ids.push(hint_id(data));
    }
    if shows_issue(data) {
        ids.push(error_id(data));
    }
    (!ids.is_empty()).then(|| AttrValue::from(ids.join(" ")))
}

fn invalid(data: &FieldData) -> Option<AttrValue> {
    shows_issue(data).then_some(AttrValue::Static("true"))
}

fn required_attr(data: &FieldData) -> Option<AttrValue> {
    data.required.then_some(AttrValue::Static("true"))
}

fn marker(data: &FieldData) -> Html {
    if data.required {
        html! { <span class="lf-required" aria-hidden="true">{ " *" }</span> }
    } else {
        html! {}
    }
}

/// The required marker of a fieldset's legend, with words for screen readers (a fieldset
/// cannot carry `aria-required`).
fn legend_marker(data: &FieldData, words: &Words) -> Html {
    if data.required {
        html! {
            <>
                <span class="lf-required" aria-hidden="true">{ " *" }</span>
                <span class="lf-sr">{ format!(" ({})", words.required_marker) }</span>
            </>
        }
    } else {
        html! {}
    }
}

fn hint(data: &FieldData) -> Html {
    match &data.hint {
        Some(hint) => html! { <p class="lf-hint" id={hint_id(data)}>{ hint }</p> },
        None => html! {},
    }
}

fn message(data: &FieldData) -> Html {
    match (&data.issue, data.show_issue) {
        (Some(issue), true) => html! {
            <p class="lf-error" id={error_id(data)}>
                <span class="lf-error-icon" aria-hidden="true">{ "! " }</span>{ issue }
            </p>
        },
        _ => html! {},
    }
}

fn field_class(data: &FieldData) -> Classes {
    classes!("lf-field", shows_issue(data).then_some("lf-invalid"))
}

fn text_field(props: &FieldProps) -> Html {
    let data = &props.data;
    let oninput_text = props.sender(|e: InputEvent| {
        FieldAction::Input(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let onchange_text = props.sender(|e: Event| {
        FieldAction::Commit(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let onblur = props.sender(|_: FocusEvent| FieldAction::Blur);
    // The picker and the value it shows; a date-time it cannot show (typed before as text)
    // stays a text box.
    let picker = match data.widget {
        Widget::Date => Some(("date", data.value.clone())),
        Widget::Time => Some(("time", data.value.clone())),
        Widget::DateTime if data.value.is_empty() => Some(("datetime-local", String::new())),
        Widget::DateTime => dates::picker_value(&data.value, dates::device_offset_at)
            .map(|shown| ("datetime-local", shown)),
        _ => None,
    };
    let control = match (data.widget, picker) {
        (Widget::MultilineText, _) => {
            let oninput = props.sender(|e: InputEvent| {
                FieldAction::Input(e.target_unchecked_into::<HtmlTextAreaElement>().value())
            });
            let onchange = props.sender(|e: Event| {
                FieldAction::Commit(e.target_unchecked_into::<HtmlTextAreaElement>().value())
            });
            html! {
                <textarea
                    id={data.id.clone()}
                    class="lf-input lf-textarea"
                    rows="4"
                    value={data.value.clone()}
                    readonly={data.read_only}
                    aria-required={required_attr(data)}
                    aria-invalid={invalid(data)}
                    aria-describedby={described_by(data)}
                    {oninput}
                    {onchange}
                    {onblur}
                />
            }
        }
        (_, Some((kind, value))) => {
            // A date-time as the device's clock reads it, stored with the device's offset
            // then; a date or a time as the picker gives it.
            let date_time = data.widget == Widget::DateTime;
            let stored = move |picked: String| {
                if date_time {
                    dates::from_picker(&picked, dates::device_offset_of).unwrap_or(picked)
                } else {
                    picked
                }
            };
            // A date is whole only when the picker says so: report it at once.
            let oninput = props.sender(move |e: InputEvent| {
                FieldAction::Commit(stored(
                    e.target_unchecked_into::<HtmlInputElement>().value(),
                ))
            });
            let onchange = props.sender(move |e: Event| {
                FieldAction::Commit(stored(
                    e.target_unchecked_into::<HtmlInputElement>().value(),
                ))
            });
            html! {
                <input
                    type={kind}
                    id={data.id.clone()}
                    class="lf-input lf-date"
                    {value}
                    readonly={data.read_only}
                    aria-required={required_attr(data)}
                    aria-invalid={invalid(data)}
                    aria-describedby={described_by(data)}
                    {oninput}
                    {onchange}
                    {onblur}
                />
            }
        }
        (Widget::Text { .. } | Widget::Barcode | Widget::DateTime, _) => html! {
            <input
                type="text"
                id={data.id.clone()}
                class="lf-input"
                inputmode={match data.widget { Widget::Text { inputmode } => inputmode, _ => None }}
                autocomplete="off"
                value={data.value.clone()}
                readonly={data.read_only}
                aria-required={required_attr(data)}
                aria-invalid={invalid(data)}
                aria-describedby={described_by(data)}
                oninput={oninput_text}
                onchange={onchange_text}
                {onblur}
            />
        },
        _ => html! {},
    };
    html! {
        <div class={field_class(data)}>
            <label class="lf-label" for={data.id.clone()}>{ &data.label }{ marker(data) }</label>
            { hint(data) }
            { control }
            if data.widget == Widget::Barcode && !data.read_only {
                <crate::scan::CodeReader
                    language={props.words.code}
                    reading={crate::scan::Reading::Barcode}
                    on_read={props.sender(FieldAction::Commit)}
                />
            }
            { message(data) }
        </div>
    }
}

/// A drop-down list. The selected option is set on the element after rendering: an
/// option's `selected` attribute does not move the selection once a person has chosen.
#[function_component(SelectField)]
fn select_field(props: &FieldProps) -> Html {
    let data = &props.data;
    let select = use_node_ref();
    {
        let select = select.clone();
        let value = data.value.clone();
        use_effect(move || {
            if let Some(element) = select.cast::<HtmlSelectElement>()
                && element.value() != value
            {
                element.set_value(&value);
            }
        });
    }
    let onchange = props.sender(|e: Event| {
        FieldAction::Commit(e.target_unchecked_into::<HtmlSelectElement>().value())
    });
    let onblur = props.sender(|_: FocusEvent| FieldAction::Blur);
    let known = data.value.is_empty() || data.choices.iter().any(|c| c.value == data.value);
    html! {
        <div class={field_class(data)}>
            <label class="lf-label" for={data.id.clone()}>{ &data.label }{ marker(data) }</label>
            { hint(data) }
            <select
                ref={select}
                id={data.id.clone()}
                class="lf-input lf-select"
                disabled={data.read_only}
                aria-required={required_attr(data)}
                aria-invalid={invalid(data)}
                aria-describedby={described_by(data)}
                {onchange}
                {onblur}
            >
                <option value="" selected={data.value.is_empty()}>{ props.words.choose }</option>
                { for data.choices.iter().map(|choice| html! {
                    <option
                        value={choice.value.clone()}
                        selected={choice.value == data.value}
                    >{ &choice.label }</option>
                }) }
                // An answer the filter no longer offers stays visible (and flagged) rather
                // than silently shown as unanswered.
                if !known {
                    <option value={data.value.clone()} selected=true>{ &data.value }</option>
                }
            </select>
            { message(data) }
        </div>
    }
}

fn option_id(data: &FieldData, index: usize) -> String {
    format!("{}-{index}", data.id)
}

fn radio_field(props: &FieldProps) -> Html {
    let data = &props.data;
    let options = data.choices.iter().enumerate().map(|(i, choice)| {
        let value = choice.value.clone();
        let onchange = props.sender(move |_: Event| FieldAction::Commit(value.clone()));
        let id = option_id(data, i);
        html! {
            <div class="lf-choice" key={choice.value.clone()}>
                <input
                    type="radio"
                    id={id.clone()}
                    name={data.id.clone()}
                    value={choice.value.clone()}
                    checked={choice.value == data.value}
                    disabled={data.read_only}
                    aria-invalid={invalid(data)}
                    {onchange}
                />
                <label for={id}>{ &choice.label }</label>
            </div>
        }
    });
    html! {
        <fieldset
            class={classes!(field_class(data), "lf-choices")}
            id={data.id.clone()}
            tabindex="-1"
            role="radiogroup"
            aria-required={required_attr(data)}
            aria-invalid={invalid(data)}
            aria-describedby={described_by(data)}
        >
            <legend class="lf-label">{ &data.label }{ legend_marker(data, props.words) }</legend>
            { hint(data) }
            { for options }
            { stale_choice(data) }
            { message(data) }
        </fieldset>
    }
}

/// An answer that is not among the choices offered now (the filter moved on): shown, so
/// that the message about it makes sense.
fn stale_choice(data: &FieldData) -> Html {
    let offered = |v: &str| data.choices.iter().any(|c: &ChoiceOption| c.value == v);
    let stale: Vec<&str> = data
        .value
        .split_whitespace()
        .filter(|v| !offered(v))
        .collect();
    if stale.is_empty() || data.widget == Widget::Note {
        return html! {};
    }
    html! { <p class="lf-stale">{ stale.join(", ") }</p> }
}

fn checkbox_field(props: &FieldProps) -> Html {
    let data = &props.data;
    let selected: Vec<&str> = data.value.split_whitespace().collect();
    let options = data.choices.iter().enumerate().map(|(i, choice)| {
        let value = choice.value.clone();
        let onchange = props.sender(move |e: Event| {
            FieldAction::Toggle(
                value.clone(),
                e.target_unchecked_into::<HtmlInputElement>().checked(),
            )
        });
        let id = option_id(data, i);
        html! {
            <div class="lf-choice" key={choice.value.clone()}>
                <input
                    type="checkbox"
                    id={id.clone()}
                    value={choice.value.clone()}
                    checked={selected.contains(&choice.value.as_str())}
                    disabled={data.read_only}
                    aria-invalid={invalid(data)}
                    {onchange}
                />
                <label for={id}>{ &choice.label }</label>
            </div>
        }
    });
    html! {
        <fieldset
            class={classes!(field_class(data), "lf-choices")}
            id={data.id.clone()}
            tabindex="-1"
            aria-describedby={described_by(data)}
        >
            <legend class="lf-label">{ &data.label }{ legend_marker(data, props.words) }</legend>
            { hint(data) }
            { for options }
            { stale_choice(data) }
            { message(data) }
        </fieldset>
    }
}

fn note_field(data: &FieldData) -> Html {
    html! {
        <div class="lf-field lf-note" id={data.id.clone()}>
            <p class="lf-note-text">{ &data.label }</p>
            { hint(data) }
        </div>
    }
}

fn acknowledge_field(props: &FieldProps) -> Html {
    let data = &props.data;
    let onchange = props.sender(|e: Event| {
        let on = e.target_unchecked_into::<HtmlInputElement>().checked();
        FieldAction::Commit(if on { "OK".to_owned() } else { String::new() })
    });
    html! {
        <div class={classes!(field_class(data), "lf-choice")}>
            <input
                type="checkbox"
                id={data.id.clone()}
                checked={!data.value.is_empty()}
                disabled={data.read_only}
                aria-required={required_attr(data)}
                aria-invalid={invalid(data)}
                aria-describedby={described_by(data)}
                {onchange}
            />
            <label for={data.id.clone()}>{ &data.label }{ marker(data) }</label>
            { hint(data) }
            { message(data) }
        </div>
    }
}

/// Where the device's position stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Locating {
    Idle,
    Busy,
    Failed(&'static str),
}

/// A geopoint: a button that asks the browser for the position, and a text box that
/// shows it (and takes a typed one).
#[function_component(GeoField)]
fn geo_field(props: &FieldProps) -> Html {
    let data = &props.data;
    let status = use_state(|| Locating::Idle);
    let words = props.words;
    let onclick = {
        let status = status.clone();
        let on_event = props.on_event.clone();
        let location = data.location.clone();
        Callback::from(move |_: MouseEvent| {
            status.set(Locating::Busy);
            let done = {
                let status = status.clone();
                let on_event = on_event.clone();
                let location = location.clone();
                move |value: String| {
                    status.set(Locating::Idle);
                    on_event.emit(FieldMsg {
                        location: location.clone(),
                        action: FieldAction::Commit(value),
                    });
                }
            };
            let failed = {
                let status = status.clone();
                move |message: &'static str| status.set(Locating::Failed(message))
            };
            locate(words, done, failed);
        })
    };
    let oninput = props.sender(|e: InputEvent| {
        FieldAction::Input(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let onchange = props.sender(|e: Event| {
        FieldAction::Commit(e.target_unchecked_into::<HtmlInputElement>().value())
    });
    let onblur = props.sender(|_: FocusEvent| FieldAction::Blur);
    let status_text = match *status {
        Locating::Idle => "",
        Locating::Busy => words.locating,
        Locating::Failed(message) => message,
    };
    html! {
        <div class={classes!(field_class(data), "lf-geo")}>
            <label class="lf-label" for={data.id.clone()}>{ &data.label }{ marker(data) }</label>
            { hint(data) }
            <button
                type="button"
                class="lf-button lf-secondary"
                disabled={data.read_only || *status == Locating::Busy}
                {onclick}
            >{ words.use_my_location }</button>
            <p class="lf-status" role="status" aria-live="polite">{ status_text }</p>
            <input
                type="text"
                id={data.id.clone()}
                class="lf-input"
                inputmode="decimal"
                autocomplete="off"
                placeholder={words.location_typed}
                value={data.value.clone()}
                readonly={data.read_only}
                aria-required={required_attr(data)}
                aria-invalid={invalid(data)}
                aria-describedby={described_by(data)}
                {oninput}
                {onchange}
                {onblur}
            />
            { message(data) }
        </div>
    }
}

/// Asks the browser for the device's position, as ODK writes it: `lat lon alt accuracy`.
fn locate(
    words: &'static Words,
    done: impl FnOnce(String) + 'static,
    failed: impl FnOnce(&'static str) + Clone + 'static,
) {
    let failed_position = failed.clone();
    let geolocation = web_sys::window().and_then(|w| w.navigator().geolocation().ok());
    let Some(geolocation) = geolocation else {
        failed(words.location_unsupported);
        return;
    };
    // The typed `GeolocationPosition` bindings are unstable in web-sys: read the plain
    // JavaScript objects instead.
    let on_position = Closure::once_into_js(move |position: JsValue| {
        let coords = get(&position, "coords");
        let number = |name: &str| get(&coords, name).as_f64();
        match (number("latitude"), number("longitude")) {
            (Some(latitude), Some(longitude)) => done(format!(
                "{latitude} {longitude} {} {}",
                number("altitude").unwrap_or(0.0),
                number("accuracy").unwrap_or(0.0)
            )),
            _ => failed_position(words.location_unavailable),
        }
    });
    let on_error = {
        let failed = failed.clone();
        Closure::once_into_js(move |error: JsValue| {
            failed(match get(&error, "code").as_f64() {
                Some(PERMISSION_DENIED) => words.location_denied,
                Some(TIMEOUT) => words.location_timeout,
                _ => words.location_unavailable,
            });
        })
    };
    let options = web_sys::PositionOptions::new();
    options.set_enable_high_accuracy(true);
    options.set_timeout(LOCATION_TIMEOUT_MS);
    options.set_maximum_age(0);
    let asked = geolocation.get_current_position_with_error_callback_and_options(
        on_position.unchecked_ref(),
        Some(on_error.unchecked_ref()),
        &options,
    );
    if asked.is_err() {
        failed(words.location_unsupported);
    }
}

/// A property of a JavaScript object (`undefined` when there is none).
fn get(object: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}
