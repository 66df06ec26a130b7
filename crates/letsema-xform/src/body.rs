//! The body: controls, groups and repeats, and the actions (`setvalue`,
//! `odk:setgeopoint`) in it and in the model.

use std::collections::BTreeMap;

use letsema_form::model::{ListName, Media, RangeParameters, Text};
use roxmltree::Node;

use crate::build::Builder;
use crate::xml::{attr, elements, jr_attr};

/// Which control asks a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ControlKind {
    Input,
    Textarea,
    Secret,
    Select1,
    Select,
    Rank,
    Range,
    Upload,
    Trigger,
    /// An `<input query="…">`: pyxform's `select_one_external`.
    External,
}

/// What a control says about the question it asks.
#[derive(Debug, Clone)]
pub(crate) struct Control<'a> {
    pub node: Node<'a, 'a>,
    pub kind: ControlKind,
    pub label: Text,
    pub hint: Text,
    pub guidance: Text,
    pub media: Media,
    pub appearance: Option<String>,
    pub parameters: BTreeMap<String, String>,
    /// The choice list of a select; `None` when its choices could not be read (an error
    /// says why).
    pub list: Option<ListName>,
    pub choice_filter: Option<String>,
    pub range: Option<RangeParameters>,
    pub mediatype: Option<String>,
}

/// Attributes of controls that only change how a question looks on ODK Collect, or that
/// the importer reads elsewhere: left out without a word.
const QUIET_ATTRIBUTES: &[&str] = &[
    "ref",
    "nodeset",
    "bind",
    "appearance",
    "mediatype",
    "start",
    "end",
    "step",
    "query",
    "autoplay",
    "playColor",
    "class",
    "id",
];

/// Control attributes kept as the question's `parameters`, under their XLSForm names.
const PARAMETER_ATTRIBUTES: &[(&str, &str)] = &[
    ("accuracyThreshold", "capture-accuracy"),
    ("unacceptableAccuracyThreshold", "warning-accuracy"),
    ("rows", "rows"),
    ("quality", "quality"),
    ("incremental", "incremental"),
];

impl<'a> Builder<'a> {
    /// Walks the body (or a group or repeat of it), with `context` the element relative
    /// refs start from.
    pub(crate) fn read_body(&mut self, node: Node<'a, 'a>, context: usize) {
        for child in elements(node) {
            let name = child.tag_name().name();
            match name {
                "group" => self.read_group(child, context),
                "repeat" => self.read_repeat(child, context),
                "input" | "textarea" | "secret" | "select1" | "select" | "rank" | "range"
                | "upload" | "trigger" => self.read_control(child, context),
                "label" | "hint" | "help" => {}
                "setvalue" | "setgeopoint" | "recordaudio" | "action" => {
                    self.read_action(child, context, None);
                }
                other => self.warn(
                    child,
                    format!("<{other}> is not an XForm control Letsema knows: it is left out"),
                ),
            }
        }
    }

    /// The element a body element's `ref`, `nodeset` or `bind` names.
    fn target(&mut self, node: Node<'a, 'a>, context: usize) -> Option<Option<usize>> {
        if let Some(bind) = attr(node, "bind") {
            return Some(match self.bind_ids.get(bind) {
                Some(&elem) => Some(elem),
                None => {
                    self.error(
                        node,
                        format!("bind=\"{bind}\" names no <bind id=\"{bind}\">: fix the id"),
                    );
                    None
                }
            });
        }
        let reference = jr_attr(node, "ref").or_else(|| jr_attr(node, "nodeset"))?;
        Some(match self.resolve(context, reference) {
            Some(elem) => Some(elem),
            None => {
                self.error(
                    node,
                    format!(
                        "`{reference}` is not an element of the primary instance: fix the \
                         path or add the element to the instance"
                    ),
                );
                None
            }
        })
    }

    fn read_group(&mut self, node: Node<'a, 'a>, context: usize) {
        match self.target(node, context) {
            None => {
                // A group without ref only lays questions out: its children belong to the
                // enclosing element.
                if elements(node).any(|c| c.tag_name().name() == "label") {
                    let (label, _) = self.control_texts(node, context);
                    if !label.label.is_empty() {
                        self.warn(
                            node,
                            "this group has a label but no `ref`, so it is only a layout: \
                             Letsema puts its questions in the enclosing group and does not \
                             show its label; give it a ref to an element of the instance to \
                             keep it"
                                .to_owned(),
                        );
                    }
                }
                self.read_body(node, context);
            }
            Some(None) => {}
            Some(Some(elem)) => {
                let (label, hint) = self.control_texts(node, elem);
                self.note_intent(node);
                if self.elems[elem].group.is_none() {
                    self.elems[elem].group = Some(crate::build::GroupInfo {
                        node,
                        label: label.label,
                        hint: hint.label,
                        appearance: attr(node, "appearance").map(str::to_owned),
                    });
                }
                self.read_body(node, elem);
            }
        }
    }

    fn read_repeat(&mut self, node: Node<'a, 'a>, context: usize) {
        match self.target(node, context) {
            None => {
                self.error(
                    node,
                    "this <repeat> has no `nodeset`: say which element of the instance it \
                     repeats"
                        .to_owned(),
                );
            }
            Some(None) => {}
            Some(Some(elem)) => {
                if elem == 0 {
                    self.error(
                        node,
                        "this <repeat> repeats the instance's root: repeat a group inside it"
                            .to_owned(),
                    );
                    return;
                }
                if self.elems[elem].repeat.is_some() {
                    self.error(
                        node,
                        format!(
                            "`{}` is repeated by two <repeat>s: keep one",
                            self.path_of(elem)
                        ),
                    );
                    return;
                }
                self.elems[elem].repeat = Some(node);
                if self.elems[elem].group.is_none() {
                    let (label, hint) = self.control_texts(node, elem);
                    if !label.label.is_empty() {
                        self.elems[elem].group = Some(crate::build::GroupInfo {
                            node,
                            label: label.label,
                            hint: hint.label,
                            appearance: attr(node, "appearance").map(str::to_owned),
                        });
                    }
                }
                self.read_body(node, elem);
            }
        }
    }

    /// Warns that an `intent` (an external app ODK Collect launches) is not launched.
    fn note_intent(&mut self, node: Node<'a, 'a>) {
        if let Some(intent) = attr(node, "intent") {
            self.warn(
                node,
                format!(
                    "ODK Collect launches the app `{intent}` here; Letsema launches no app, \
                     so the questions are asked one by one"
                ),
            );
        }
    }

    fn read_control(&mut self, node: Node<'a, 'a>, context: usize) {
        let elem = match self.target(node, context) {
            Some(Some(elem)) => elem,
            Some(None) => return,
            None => {
                self.error(
                    node,
                    "this control has no `ref`: say which element of the instance it answers"
                        .to_owned(),
                );
                return;
            }
        };
        if elem == 0 {
            self.error(
                node,
                "this control answers the instance's root element: point it at a field".to_owned(),
            );
            return;
        }
        if let Some(other) = &self.elems[elem].control {
            let line = crate::xml::line_of(other.node);
            self.error(
                node,
                format!(
                    "`{}` is already answered by the control on line {line}: a field has one \
                     control; remove one",
                    self.path_of(elem)
                ),
            );
            return;
        }
        self.note_intent(node);
        let name = node.tag_name().name();
        let mut kind = match name {
            "input" => ControlKind::Input,
            "textarea" => ControlKind::Textarea,
            "secret" => ControlKind::Secret,
            "select1" => ControlKind::Select1,
            "select" => ControlKind::Select,
            "rank" => ControlKind::Rank,
            "range" => ControlKind::Range,
            "upload" => ControlKind::Upload,
            _ => ControlKind::Trigger,
        };
        let (label, hint) = self.control_texts(node, elem);
        let mut appearance = attr(node, "appearance")
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned);
        if kind == ControlKind::Textarea && appearance.is_none() {
            appearance = Some("multiline".to_owned());
        }
        let mut parameters = BTreeMap::new();
        for attribute in node.attributes() {
            let local = attribute.name();
            if let Some((_, parameter)) = PARAMETER_ATTRIBUTES.iter().find(|(a, _)| *a == local) {
                parameters.insert((*parameter).to_owned(), attribute.value().to_owned());
            } else if !QUIET_ATTRIBUTES.contains(&local) && local != "intent" {
                self.warn(
                    node,
                    format!(
                        "the attribute `{local}=\"{}\"` is not something Letsema uses: it is \
                         left out",
                        attribute.value()
                    ),
                );
            }
        }
        if let Some(max) = self.bind_attr(elem, "max-pixels") {
            parameters.insert("max-pixels".to_owned(), max.to_owned());
        }
        let mut list = None;
        let mut choice_filter = None;
        if matches!(
            kind,
            ControlKind::Select1 | ControlKind::Select | ControlKind::Rank
        ) && let Some(choices) = self.read_choices(node, elem)
        {
            list = Some(choices.list);
            choice_filter = choices.filter;
            if let Some(seed) = choices.randomize {
                parameters.insert("randomize".to_owned(), "true".to_owned());
                if let Some(seed) = seed {
                    parameters.insert("seed".to_owned(), seed);
                }
            }
        }
        if kind == ControlKind::Input
            && let Some(query) = attr(node, "query")
        {
            kind = ControlKind::External;
            list = self.external_query(node, query);
        }
        let range = (kind == ControlKind::Range)
            .then(|| self.range(node))
            .flatten();
        for action in elements(node) {
            if matches!(
                action.tag_name().name(),
                "setvalue" | "setgeopoint" | "recordaudio" | "action"
            ) {
                self.read_action(action, context, Some(elem));
            }
        }
        self.elems[elem].control = Some(Control {
            node,
            kind,
            label: label.label,
            hint: hint.label,
            guidance: hint.guidance,
            media: label.media,
            appearance,
            parameters,
            list,
            choice_filter,
            range,
            mediatype: attr(node, "mediatype").map(str::to_owned),
        });
    }

    /// A `<range>`'s start, end and step, which must be numbers with a positive step.
    fn range(&mut self, node: Node<'a, 'a>) -> Option<RangeParameters> {
        let defaults = RangeParameters::default();
        let number = |b: &mut Self, name: &str, default: f64| -> Option<f64> {
            match attr(node, name) {
                None => Some(default),
                Some(v) => match v.trim().parse::<f64>() {
                    Ok(n) if n.is_finite() => Some(n),
                    _ => {
                        b.error(
                            node,
                            format!("the range's {name}=\"{v}\" is not a number: write a number"),
                        );
                        None
                    }
                },
            }
        };
        let start = number(self, "start", defaults.start)?;
        let end = number(self, "end", defaults.end)?;
        let step = number(self, "step", defaults.step)?;
        if step <= 0.0 {
            self.error(
                node,
                format!("the range's step is {step}: it must be more than 0"),
            );
            return None;
        }
        Some(RangeParameters { start, end, step })
    }

    /// Every action of the model itself (not inside the body).
    pub(crate) fn read_model_actions(&mut self, model: Node<'a, 'a>) {
        for child in elements(model) {
            if matches!(
                child.tag_name().name(),
                "setvalue" | "setgeopoint" | "recordaudio" | "action"
            ) {
                self.read_action(child, 0, None);
            }
        }
    }

    /// A `setvalue`, `odk:setgeopoint` or `odk:recordaudio`; `source` is the control it is
    /// inside, whose changes fire `xforms-value-changed`.
    fn read_action(&mut self, node: Node<'a, 'a>, context: usize, source: Option<usize>) {
        let name = node.tag_name().name();
        if name == "action" {
            self.error(
                node,
                "<action> blocks are not supported: write each setvalue on its own".to_owned(),
            );
            return;
        }
        let Some(Some(target)) = self.target(node, context) else {
            if jr_attr(node, "ref").is_none() && attr(node, "bind").is_none() {
                self.error(
                    node,
                    format!("this <{name}> has no `ref`: say which field it sets"),
                );
            }
            return;
        };
        if name == "recordaudio" {
            self.elems[target].record_audio = true;
            self.warn(
                node,
                format!(
                    "ODK Collect records sound in the background into `{}`; Letsema does not, \
                     so it stays empty",
                    self.path_of(target)
                ),
            );
            return;
        }
        let events: Vec<&str> = attr(node, "event")
            .unwrap_or("")
            .split_whitespace()
            .collect();
        if events.is_empty() {
            self.error(
                node,
                format!(
                    "this <{name}> has no `event`: say when it runs (odk-instance-first-load, \
                     odk-new-repeat or xforms-value-changed)"
                ),
            );
            return;
        }
        for event in events {
            match (name, event) {
                (
                    "setgeopoint",
                    "odk-instance-first-load" | "xforms-ready" | "odk-instance-load",
                ) => {
                    self.elems[target].start_geopoint = true;
                }
                ("setgeopoint", _) => self.error(
                    node,
                    format!(
                        "this odk:setgeopoint records the location on `{event}`; Letsema \
                         records a location only when the form is opened (start-geopoint): \
                         use event=\"odk-instance-first-load\" or a geopoint question"
                    ),
                ),
                (
                    _,
                    "odk-instance-first-load"
                    | "odk-new-repeat"
                    | "xforms-ready"
                    | "odk-instance-load",
                ) => {
                    let default = match attr(node, "value") {
                        Some(value) => self.default_expression(value, target),
                        None => crate::expr::literal_default(&crate::xml::text_of(node)),
                    };
                    if let Some((old, _)) = &self.elems[target].default
                        && *old != default
                    {
                        let old = old.clone();
                        self.error(
                            node,
                            format!(
                                "`{}` is given two first values ({old} and {default}): keep \
                                 one setvalue",
                                self.path_of(target)
                            ),
                        );
                        continue;
                    }
                    if event == "odk-instance-load" {
                        self.warn(
                            node,
                            "odk-instance-load also runs when a saved submission is opened \
                             again; Letsema sets the value only when the field is created"
                                .to_owned(),
                        );
                    }
                    self.elems[target].default = Some((default, node));
                }
                (_, "xforms-value-changed") => {
                    let Some(source) = source else {
                        self.error(
                            node,
                            "this setvalue runs on xforms-value-changed but is not inside a \
                             control: put it inside the control whose change sets the value"
                                .to_owned(),
                        );
                        continue;
                    };
                    let value = match attr(node, "value") {
                        Some(value) => {
                            let value = value.trim();
                            (!value.is_empty()).then(|| self.expression(value, target))
                        }
                        None => {
                            let text = crate::xml::text_of(node);
                            (!text.is_empty()).then(|| Self::literal_expression(&text))
                        }
                    };
                    if let Some((other, _, _)) = &self.elems[target].trigger
                        && *other != source
                    {
                        let other = self.path_of(*other);
                        self.error(
                            node,
                            format!(
                                "`{}` is set when `{other}` changes and when `{}` changes: \
                                 Letsema sets a field from one question only; keep one \
                                 setvalue",
                                self.path_of(target),
                                self.path_of(source)
                            ),
                        );
                        continue;
                    }
                    self.elems[target].trigger = Some((source, value, node));
                }
                _ => self.error(
                    node,
                    format!(
                        "the event `{event}` is not one Letsema runs: use \
                         odk-instance-first-load, odk-new-repeat or xforms-value-changed"
                    ),
                ),
            }
        }
    }
}
