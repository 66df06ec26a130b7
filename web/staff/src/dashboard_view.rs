//! The dashboard page (`#/dashboard?FILTERS`): the submissions table's filters, the counts of
//! `GET /api/dashboard` as charts (each an SVG picture with its table, downloadable as SVG,
//! PNG and CSV), and the skills available for short-term assignments, narrowed to a
//! profession and a country (kept in the address, so that a view can be shared).

use letsema_protocol::staff::{Dashboard, Session};
use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::api;
use crate::app::{Route, navigate};
use crate::charts::{Chart, Size};
use crate::dashboard::{DashboardAddress, Relabel, charts, skill_choices, skills_chart};
use crate::download;
use crate::filter_form::{FilterForm, use_forms_and_associations, use_newest_form};
use crate::filters::{Filters, choice_questions};
use crate::words::Words;

#[derive(Debug, Properties, PartialEq)]
pub struct DashboardProps {
    pub words: &'static Words,
    pub language: &'static str,
    pub session: Session,
    pub address: DashboardAddress,
    pub on_signed_out: Callback<()>,
}

/// The counts shown, and whether newer ones are on their way.
#[derive(Debug, Clone, PartialEq, Default)]
struct Counts {
    dashboard: Option<Dashboard>,
    loading: bool,
    problem: Option<String>,
}

#[function_component(DashboardPage)]
pub fn dashboard_page(props: &DashboardProps) -> Html {
    let words = props.words;
    let c = words.charts;
    let (forms, associations) = use_forms_and_associations(props.on_signed_out.clone());
    let counts = use_state(Counts::default);

    // A dashboard counts one form: the one asked for, else the newest published.
    let listed = forms.as_deref().unwrap_or_default();
    let mut filters = props.address.filters.clone();
    if filters.form.is_empty()
        && let Some(first) = listed.first()
    {
        filters.form = first.form_id.clone();
    }
    {
        let counts = counts.clone();
        let on_signed_out = props.on_signed_out.clone();
        let query = (!filters.form.is_empty()).then(|| filters.selection());
        use_effect_with(query, move |query| {
            if let Some(query) = query.clone() {
                let mut loading = (*counts).clone();
                loading.loading = true;
                counts.set(loading.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let mut done = loading;
                    done.loading = false;
                    match api::dashboard(&query).await {
                        Ok(dashboard) => {
                            done.dashboard = Some(dashboard);
                            done.problem = None;
                        }
                        Err(error) => {
                            done.dashboard = None;
                            done.problem = api::problem(error, words, &on_signed_out)
                                .map(|why| format!("{} {why}", words.charts.failed));
                        }
                    }
                    counts.set(done);
                });
            }
        });
    }
    let definition = use_newest_form(listed, &filters.form);
    let questions = definition
        .as_ref()
        .map(|form| choice_questions(form, props.language))
        .unwrap_or_default();
    let relabel = Relabel {
        questions: &questions,
    };

    let apply = {
        let address = props.address.clone();
        Callback::from(move |filters: Filters| {
            navigate(&Route::Dashboard(DashboardAddress {
                filters,
                ..address.clone()
            }));
        })
    };
    let clear = Callback::from(|()| navigate(&Route::Dashboard(DashboardAddress::default())));
    let skill_filter = |change: fn(&mut DashboardAddress, String)| {
        let address = DashboardAddress {
            filters: filters.clone(),
            ..props.address.clone()
        };
        Callback::from(move |event: Event| {
            let select: HtmlSelectElement = event.target_unchecked_into();
            let mut next = address.clone();
            change(&mut next, select.value());
            navigate(&Route::Dashboard(next));
        })
    };

    let body = match (&counts.dashboard, forms.as_deref()) {
        (_, Some([])) => html! { <p class="notice">{ c.no_forms }</p> },
        (Some(dashboard), _) => {
            let (professions, countries) = skill_choices(&dashboard.skills, relabel);
            let skills = skills_chart(
                dashboard,
                words,
                relabel,
                &props.address.profession,
                &props.address.country,
            );
            html! {
                <>
                    <p class="dashboard-total" role="status" data-testid="dashboard-total"
                        data-total={dashboard.total.to_string()}>{ c.counted(dashboard.total) }</p>
                    <div class="charts">
                        { for charts(dashboard, words, relabel).into_iter().map(|chart| {
                            let id = chart.id;
                            html! {
                                <ChartFigure key={id} words={words} form={dashboard.form_id.clone()} chart={chart} />
                            }
                        }) }
                    </div>
                    <section class="skills" aria-labelledby="skills-title">
                        <h3 id="skills-title">{ c.skills }</h3>
                        <p class="hint">{ c.skills_hint }</p>
                        <div class="skill-filters">
                            <div class="field">
                                <label for="skill-profession">{ c.profession }</label>
                                <select id="skill-profession" onchange={skill_filter(|a, v| a.profession = v)}>
                                    <option value="" selected={props.address.profession.is_empty()}>{ words.any }</option>
                                    { for professions.iter().map(|option| html! {
                                        <option value={option.value.clone()} selected={props.address.profession == option.value}>{ option.label.clone() }</option>
                                    }) }
                                </select>
                            </div>
                            <div class="field">
                                <label for="skill-country">{ c.country }</label>
                                <select id="skill-country" onchange={skill_filter(|a, v| a.country = v)}>
                                    <option value="" selected={props.address.country.is_empty()}>{ words.any }</option>
                                    { for countries.iter().map(|option| html! {
                                        <option value={option.value.clone()} selected={props.address.country == option.value}>{ option.label.clone() }</option>
                                    }) }
                                </select>
                            </div>
                        </div>
                        <ChartFigure words={words} form={dashboard.form_id.clone()} chart={skills} captioned={false} />
                    </section>
                </>
            }
        }
        (None, _) => html! {},
    };
    html! {
        <section class="dashboard" aria-labelledby="dashboard-title" aria-busy={counts.loading.to_string()}>
            <h2 id="dashboard-title">{ c.dashboard }</h2>
            <p class="hint">{ c.intro }</p>
            <FilterForm words={words} language={props.language} filters={filters.clone()}
                forms={listed.to_vec()} associations={associations.clone()}
                on_apply={apply} on_clear={clear} ordered={false} form_required={true} />
            if let Some(problem) = &counts.problem {
                <p class="problem" role="alert">{ problem.clone() }</p>
            }
            if counts.loading || forms.is_none() {
                <p class="loading" role="status">{ words.loading }</p>
            }
            { body }
        </section>
    }
}

#[derive(Debug, Properties, PartialEq)]
pub struct ChartProps {
    pub words: &'static Words,
    /// The form counted: the downloads' names start with it.
    pub form: String,
    pub chart: Chart,
    /// Whether the chart has a caption of its own (the skills view has its section's title).
    #[prop_or(true)]
    pub captioned: bool,
}

/// One chart: its picture, a note when it draws only its largest rows, its table, and its
/// downloads.
#[function_component(ChartFigure)]
pub fn chart_figure(props: &ChartProps) -> Html {
    let c = props.words.charts;
    let chart = &props.chart;
    let problem = use_state(|| None::<&'static str>);
    let name = |extension: &str| format!("{}-{}.{extension}", props.form, chart.id);
    let save = |extension: &'static str, mime: &'static str, text: String| {
        let (name, problem) = (name(extension), problem.clone());
        Callback::from(move |_: MouseEvent| {
            if download::save(text.as_bytes(), &name, mime).is_err() {
                problem.set(Some(c.png_failed));
            }
        })
    };
    let on_png = {
        let (svg, height, name, problem) = (
            chart.svg(Size::WIDE, true, c.no_data),
            chart.height(true),
            name("png"),
            problem.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let (svg, name, problem) = (svg.clone(), name.clone(), problem.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if download::save_png(&svg, Size::WIDE.width, height, &name)
                    .await
                    .is_err()
                {
                    problem.set(Some(c.png_failed));
                }
            });
        })
    };
    let drawn = chart.drawn().len();
    // Drawn at about the width it is shown at, so that its text stays readable on a phone.
    let shown = if web_sys::window()
        .and_then(|w| w.inner_width().ok())
        .and_then(|w| w.as_f64())
        .is_some_and(|width| width < 640.0)
    {
        Size::NARROW
    } else {
        Size::WIDE
    };
    html! {
        <figure class="chart" data-testid={format!("chart-{}", chart.id)}>
            <figcaption class={classes!((!props.captioned).then_some("visually-hidden"))}>{ chart.title.clone() }</figcaption>
            <div class="picture">{ Html::from_html_unchecked(chart.svg(shown, false, c.no_data).into()) }</div>
            if drawn < chart.rows.len() {
                <p class="hint">{ c.drawn_of(drawn, chart.rows.len()) }</p>
            }
            <details class="chart-table">
                <summary>{ c.table }</summary>
                <table>
                    <thead>
                        <tr>
                            { for chart.label_headers.iter().map(|h| html! { <th scope="col">{ h.clone() }</th> }) }
                            { for chart.value_headers.iter().map(|h| html! { <th scope="col" class="number">{ h.clone() }</th> }) }
                        </tr>
                    </thead>
                    <tbody>
                        { for chart.rows.iter().map(|row| html! {
                            <tr data-key={row.key.clone()}>
                                { for row.cells.iter().map(|cell| html! { <td>{ cell.clone() }</td> }) }
                                { for row.values.iter().map(|value| html! { <td class="number">{ value.to_string() }</td> }) }
                            </tr>
                        }) }
                    </tbody>
                </table>
            </details>
            <div class="downloads" role="group" aria-label={c.download}>
                <span aria-hidden="true">{ c.download }</span>
                <button type="button" class="secondary" data-testid="download-svg"
                    aria-label={c.download_as(&chart.title, "SVG")}
                    onclick={save("svg", "image/svg+xml", chart.svg(Size::WIDE, true, c.no_data))}>{ "SVG" }</button>
                <button type="button" class="secondary" data-testid="download-png"
                    aria-label={c.download_as(&chart.title, "PNG")} onclick={on_png}>{ "PNG" }</button>
                <button type="button" class="secondary" data-testid="download-csv"
                    aria-label={c.download_as(&chart.title, "CSV")}
                    onclick={save("csv", "text/csv", chart.csv())}>{ "CSV" }</button>
            </div>
            if let Some(problem) = *problem {
                <p class="problem" role="alert">{ problem }</p>
            }
        </figure>
    }
}
