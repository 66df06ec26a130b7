//! Assembling the [`Form`]: the primary instance's elements become items, each with what
//! its binds, its control and the actions aimed at it say.

use std::collections::{BTreeMap, HashMap};

use letsema_form::model::{
    Appearance, ChoiceList, DataInstance, Expression, FieldName, Form, FormId, Group, Item,
    Language, MetadataKind, Question, QuestionType, Repeat, Text,
};
use letsema_form::runtime::{CompileError, CompiledForm};
use roxmltree::{Document, Node};

use crate::body::{Control, ControlKind};
use crate::instance::Secondary;
use crate::itext::Itext;
use crate::xml::{self, attr, child, children, is};
use crate::{Diagnostic, Severity};

/// An element of the primary instance, and what the rest of the form says about it.
#[derive(Debug)]
pub(crate) struct Elem<'a> {
    pub node: Node<'a, 'a>,
    /// The local name: the field's name.
    pub name: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Whether it has no child elements (a question, unless a repeat).
    pub leaf: bool,
    /// Its text in the instance: the default value of a question.
    pub text: String,
    /// Same-named siblings left out: a repeat's initial instances.
    pub extra_instances: usize,
    /// The binds naming it, in document order.
    pub binds: Vec<Node<'a, 'a>>,
    pub control: Option<Control<'a>>,
    /// A body `<group ref>` naming it.
    pub group: Option<GroupInfo<'a>>,
    /// A body `<repeat nodeset>` naming it.
    pub repeat: Option<Node<'a, 'a>>,
    /// A default from a `setvalue` run when the form or a repeat instance is created, as
    /// the model's `default` writes it.
    pub default: Option<(String, Node<'a, 'a>)>,
    /// A `setvalue` run when a control's answer changes: the control, and the
    /// calculation (`None` clears the value).
    pub trigger: Option<(usize, Option<String>, Node<'a, 'a>)>,
    /// An `odk:setgeopoint` run when the form is opened.
    pub start_geopoint: bool,
    /// An `odk:recordaudio` names it.
    pub record_audio: bool,
    /// Left out of the form (the meta block's `instanceID`...).
    pub dropped: bool,
}

/// What a body `<group ref>` says about its element.
#[derive(Debug, Clone)]
pub(crate) struct GroupInfo<'a> {
    pub node: Node<'a, 'a>,
    pub label: Text,
    pub hint: Text,
    pub appearance: Option<String>,
}

impl<'a> Elem<'a> {
    pub(crate) fn new(node: Node<'a, 'a>, name: String, parent: Option<usize>) -> Self {
        Elem {
            node,
            name,
            parent,
            children: Vec::new(),
            leaf: xml::elements(node).next().is_none(),
            text: xml::text_of(node),
            extra_instances: 0,
            binds: Vec::new(),
            control: None,
            group: None,
            repeat: None,
            default: None,
            trigger: None,
            start_geopoint: false,
            record_audio: false,
            dropped: false,
        }
    }
}

/// The importer's state while it reads one XForm.
#[derive(Debug)]
pub(crate) struct Builder<'a> {
    pub diagnostics: Vec<Diagnostic>,
    pub itext: Itext<'a>,
    /// The primary instance's elements; 0 is its root element.
    pub elems: Vec<Elem<'a>>,
    pub secondary: Vec<Secondary<'a>>,
    pub instances: Vec<DataInstance>,
    pub choice_lists: Vec<ChoiceList>,
    /// Binds with an `id`, which controls may name with `bind="id"`.
    pub bind_ids: HashMap<String, usize>,
}

impl<'a> Builder<'a> {
    pub(crate) fn error(&mut self, node: Node<'_, '_>, message: String) {
        self.diagnostics
            .push(Diagnostic::at(Severity::Error, node, message));
    }

    pub(crate) fn warn(&mut self, node: Node<'_, '_>, message: String) {
        self.diagnostics
            .push(Diagnostic::at(Severity::Warning, node, message));
    }

    /// The path of an element as the XForm writes it: `/data/group/q`.
    pub(crate) fn path_of(&self, elem: usize) -> String {
        let mut names = Vec::new();
        let mut current = Some(elem);
        while let Some(e) = current {
            names.push(self.elems[e].name.as_str());
            current = self.elems[e].parent;
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// The element a path names from `context`: absolute (`/data/g/q`) or relative (`q`,
    /// `../q`, `.`). `None` when it names no element of the primary instance or uses
    /// anything beyond plain steps (predicates, attributes, functions).
    pub(crate) fn resolve(&self, context: usize, path: &str) -> Option<usize> {
        let path = path.trim();
        if path.is_empty() {
            return None;
        }
        let (mut current, rest) = match path.strip_prefix('/') {
            Some(rest) => {
                let (first, rest) = rest.split_once('/').unwrap_or((rest, ""));
                if local(first) != self.elems.first()?.name {
                    return None;
                }
                (0, rest)
            }
            None => match path.strip_prefix("current()") {
                Some(rest) => (context, rest.strip_prefix('/').unwrap_or(".")),
                None => (context, path),
            },
        };
        for step in rest.split('/') {
            let step = step.trim();
            match step {
                "" => {
                    if !rest.is_empty() {
                        return None;
                    }
                }
                "." => {}
                ".." => current = self.elems[current].parent?,
                name => {
                    if !name
                        .chars()
                        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
                    {
                        return None;
                    }
                    let name = local(name);
                    current = *self.elems[current]
                        .children
                        .iter()
                        .find(|&&c| self.elems[c].name == name)?;
                }
            }
        }
        Some(current)
    }

    /// The repeats an element is in, outermost first, itself included when it is one.
    pub(crate) fn repeats_of(&self, elem: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut current = Some(elem);
        while let Some(e) = current {
            if self.elems[e].repeat.is_some() {
                out.push(e);
            }
            current = self.elems[e].parent;
        }
        out.reverse();
        out
    }

    /// The value of a bind attribute for an element: the last of its binds that has it.
    pub(crate) fn bind_attr(&self, elem: usize, local: &str) -> Option<&'a str> {
        self.elems[elem]
            .binds
            .iter()
            .rev()
            .find_map(|b| attr(*b, local))
    }

    /// A bind's boolean expression: `None` when absent, empty or `false()`.
    fn bind_condition(&mut self, elem: usize, local: &str) -> Option<String> {
        let value = self.bind_attr(elem, local)?.trim();
        if value.is_empty() || matches!(value, "false()" | "false" | "0") {
            return None;
        }
        let value = match value {
            "true" => "true()",
            other => other,
        };
        Some(self.expression(value, elem))
    }

    /// The node to point a diagnostic about an element at: its control, its first bind,
    /// or the element itself.
    pub(crate) fn anchor(&self, elem: usize) -> Node<'a, 'a> {
        let e = &self.elems[elem];
        e.control
            .as_ref()
            .map(|c| c.node)
            .or_else(|| e.binds.first().copied())
            .or_else(|| e.group.as_ref().map(|g| g.node))
            .unwrap_or(e.node)
    }
}

/// The bind attributes the importer reads (by local name).
const KNOWN_BIND_ATTRIBUTES: &[&str] = &[
    "nodeset",
    "ref",
    "id",
    "type",
    "relevant",
    "constraint",
    "constraintMsg",
    "required",
    "requiredMsg",
    "readonly",
    "calculate",
    "preload",
    "preloadParams",
    "max-pixels",
];

/// A name without its namespace prefix.
pub(crate) fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Reads an XForm document into a form (which may still have errors) and diagnostics.
pub(crate) fn build(document: &Document<'_>) -> (Option<Form>, Vec<Diagnostic>) {
    let root = document.root_element();
    let refuse = |node: Node<'_, '_>, message: &str| {
        (
            None,
            vec![Diagnostic::at(Severity::Error, node, message.to_owned())],
        )
    };
    let Some(head) = child(root, "head") else {
        return refuse(
            root,
            "this is not an XForm: it has no <h:head> (an XForm is an <h:html> document with \
             <h:head><model> and <h:body>); export the form as XForm XML",
        );
    };
    let models: Vec<Node<'_, '_>> = children(head, "model").collect();
    let Some(&model) = models.first() else {
        return refuse(
            head,
            "the <h:head> has no <model>: export the form as XForm XML",
        );
    };
    let mut b = Builder {
        diagnostics: Vec::new(),
        itext: Itext::default(),
        elems: Vec::new(),
        secondary: Vec::new(),
        instances: Vec::new(),
        choice_lists: Vec::new(),
        bind_ids: HashMap::new(),
    };
    for extra in models.iter().skip(1) {
        b.error(
            *extra,
            "the form has more than one <model>: ODK reads only one; merge them".to_owned(),
        );
    }
    let body = child(root, "body");
    let instance_nodes: Vec<Node<'_, '_>> = children(model, "instance").collect();
    let Some(primary) = instance_nodes
        .first()
        .and_then(|i| xml::elements(*i).next())
    else {
        return refuse(
            model,
            "the <model> has no primary <instance> with a root element: the form has no \
             fields; export it again",
        );
    };
    b.read_primary(primary);
    b.read_secondary(&instance_nodes[1..]);
    if let Some(itext) = child(model, "itext") {
        b.read_itext(itext);
    }
    b.read_binds(model);
    b.read_model_actions(model);
    if let Some(body) = body {
        b.read_body(body, 0);
    } else {
        b.warn(
            root,
            "the form has no <h:body>, so it asks no questions: only its calculations are \
             kept"
                .to_owned(),
        );
    }
    let instance_name = b.read_meta();
    let items = b.items(0, None);
    let root_elem = &b.elems[0];
    let id = match attr(root_elem.node, "id") {
        Some(id) if !id.trim().is_empty() => id.trim().to_owned(),
        _ => {
            let name = root_elem.name.clone();
            b.warn(
                primary,
                format!(
                    "the primary instance's root element has no `id` attribute (the form's \
                     id), so the form is called `{name}`: add id=\"…\" to it"
                ),
            );
            name
        }
    };
    let title = child(head, "title")
        .map(|t| xml::text_of(t).trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| id.clone());
    let mut form = Form::new(FormId::new(id), title);
    form.version = attr(b.elems[0].node, "version")
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    form.default_language = b.itext.default_language().map(Language::new);
    form.instance_name = instance_name.map(Expression::new);
    form.items = items;
    form.choice_lists = std::mem::take(&mut b.choice_lists);
    form.instances = std::mem::take(&mut b.instances);
    let root_name = b.elems[0].name.clone();
    form.root_name = (root_name != "data").then_some(root_name);
    b.check_names(&form);
    let has_error = b.diagnostics.iter().any(|d| d.severity == Severity::Error);
    if !has_error && let Err(errors) = CompiledForm::new(&form) {
        for error in errors {
            let node = b.compile_error_anchor(&error);
            b.error(node, format!("{error}"));
        }
    }
    (Some(form), b.diagnostics)
}

impl<'a> Builder<'a> {
    /// Collects every `<bind>` of the model (also inside nested elements, as some tools
    /// write them) onto the elements they name.
    fn read_binds(&mut self, model: Node<'a, 'a>) {
        for bind in model.descendants().filter(|n| is(*n, "bind")) {
            let Some(nodeset) = attr(bind, "nodeset").or_else(|| attr(bind, "ref")) else {
                self.error(
                    bind,
                    "this <bind> has no `nodeset`: say which field it is about".to_owned(),
                );
                continue;
            };
            let Some(elem) = self.resolve(0, nodeset) else {
                self.warn(
                    bind,
                    format!(
                        "this <bind> is about `{nodeset}`, which is not an element of the \
                         primary instance, so it is left out (as ODK does): fix the path or \
                         remove the bind"
                    ),
                );
                continue;
            };
            for attribute in bind.attributes() {
                if !KNOWN_BIND_ATTRIBUTES.contains(&attribute.name()) {
                    let message = format!(
                        "the bind attribute `{}=\"{}\"` is not something Letsema uses: it is \
                         left out",
                        attribute.name(),
                        attribute.value()
                    );
                    self.warn(bind, message);
                }
            }
            if let Some(id) = attr(bind, "id") {
                self.bind_ids.insert(id.to_owned(), elem);
            }
            self.elems[elem].binds.push(bind);
        }
    }

    /// The meta block: `instanceID` and `deprecatedID` are left out (Letsema gives each
    /// submission its own id), `instanceName`'s calculation names submissions, an entity
    /// declaration is left out with a warning. Returns the instance name.
    fn read_meta(&mut self) -> Option<String> {
        let &meta = self.elems[0]
            .children
            .iter()
            .find(|&&c| self.elems[c].name == "meta")?;
        let mut instance_name = None;
        for c in self.elems[meta].children.clone() {
            match self.elems[c].name.as_str() {
                "instanceID" | "deprecatedID" => self.elems[c].dropped = true,
                "instanceName" => {
                    self.elems[c].dropped = true;
                    instance_name = self
                        .bind_attr(c, "calculate")
                        .map(str::to_owned)
                        .map(|e| self.expression(&e, c));
                }
                "entity" => {
                    self.elems[c].dropped = true;
                    let node = self.elems[c].node;
                    self.warn(
                        node,
                        "this form creates or updates ODK entities, which Letsema does not \
                         have: the entity declaration is left out and the answers are kept as \
                         an ordinary submission"
                            .to_owned(),
                    );
                }
                _ => {}
            }
        }
        instance_name
    }

    /// The items for the children of an element, in the primary instance's order.
    /// `read_only` is a group's `readonly`, which ODK applies to everything inside.
    fn items(&mut self, parent: usize, read_only: Option<&str>) -> Vec<Item> {
        let mut items = Vec::new();
        for c in self.elems[parent].children.clone() {
            if self.elems[c].dropped {
                continue;
            }
            if let Some(item) = self.item(c, read_only) {
                items.push(item);
            }
        }
        items
    }

    fn item(&mut self, elem: usize, read_only: Option<&str>) -> Option<Item> {
        let e = &self.elems[elem];
        let is_repeat = e.repeat.is_some();
        if e.extra_instances > 0 && !is_repeat {
            let node = e.node;
            let name = e.name.clone();
            self.error(
                node,
                format!(
                    "the instance has several `{name}` elements side by side, but the body has \
                     no <repeat> for them: only a repeat's instances may share a name; rename \
                     them or add the repeat"
                ),
            );
        }
        let e = &self.elems[elem];
        if !is_repeat && e.leaf {
            return self.question(elem, read_only).map(Item::Question);
        }
        let name = FieldName::new(e.name.clone());
        let group = e.group.clone();
        let (label, hint, appearance) = match &group {
            Some(g) => (g.label.clone(), g.hint.clone(), g.appearance.clone()),
            None => (Text::default(), Text::default(), None),
        };
        if let Some(control) = &e.control {
            let node = control.node;
            self.error(
                node,
                format!(
                    "this control answers `{}`, which is a group in the instance (it has \
                     elements inside): point the control at a field",
                    self.path_of(elem)
                ),
            );
        }
        for attribute in ["calculate", "constraint", "required"] {
            if let Some(value) = self.bind_attr(elem, attribute) {
                let node = self.anchor(elem);
                self.warn(
                    node,
                    format!(
                        "`{attribute}=\"{value}\"` on the group `{}` is left out: a group has \
                         no value; move it to a question",
                        self.path_of(elem)
                    ),
                );
            }
        }
        let relevant = self.bind_condition(elem, "relevant").map(Expression::new);
        let own_read_only = self.group_read_only(elem);
        let inherited = match (read_only, own_read_only.as_deref()) {
            (Some(outer), Some(own)) => Some(format!("({outer}) or ({own})")),
            (Some(outer), None) => Some(outer.to_owned()),
            (None, own) => own.map(str::to_owned),
        };
        let items = self.items(elem, inherited.as_deref());
        let e = &self.elems[elem];
        if is_repeat {
            let repeat_node = e.repeat;
            if e.extra_instances > 0 {
                let node = e.node;
                self.warn(
                    node,
                    format!(
                        "the instance has {} ready-made instance(s) of the repeat `{}`: \
                         Letsema starts a repeat empty, so they are left out",
                        e.extra_instances + usize::from(attr(e.node, "template").is_none()),
                        self.path_of(elem)
                    ),
                );
            }
            let repeat_count = repeat_node
                .and_then(|r| xml::jr_attr(r, "count"))
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| Expression::new(self.expression(c, elem)));
            return Some(Item::Repeat(Repeat {
                name,
                label,
                hint,
                relevant,
                appearance: appearance.map(Appearance::new),
                repeat_count,
                items,
            }));
        }
        if items.is_empty() && e.name == "meta" && e.parent == Some(0) {
            return None;
        }
        Some(Item::Group(Group {
            name,
            label,
            hint,
            relevant,
            appearance: appearance.map(Appearance::new),
            loop_over: None,
            items,
        }))
    }

    /// A group's `readonly`, which must mean the same in every question inside: an
    /// expression with relative paths is refused.
    fn group_read_only(&mut self, elem: usize) -> Option<String> {
        let value = self.bind_condition(elem, "readonly")?;
        if crate::expr::has_relative_path(&value) {
            let node = self.anchor(elem);
            self.error(
                node,
                format!(
                    "the group `{}` is read-only when `{value}`, which uses relative paths: \
                     Letsema applies a group's readonly to each question inside, where they \
                     would mean something else; write absolute paths (/{}/…)",
                    self.path_of(elem),
                    self.elems[0].name
                ),
            );
            return None;
        }
        Some(value)
    }

    /// The question for a leaf element, or `None` (with an error) when Letsema has no
    /// equivalent.
    fn question(&mut self, elem: usize, read_only: Option<&str>) -> Option<Question> {
        let control = self.elems[elem].control.clone();
        let kind = self.question_type(elem, control.as_ref())?;
        let name = self.elems[elem].name.clone();
        let mut q = Question::new(name, kind, Text::default());
        if let Some(c) = &control {
            q.label = c.label.clone();
            q.hint = c.hint.clone();
            q.guidance_hint = c.guidance.clone();
            q.media = c.media.clone();
            q.appearance = c.appearance.clone().map(Appearance::new);
            q.parameters = c.parameters.clone();
            q.choice_filter = c.choice_filter.clone().map(Expression::new);
        }
        q.relevant = self.bind_condition(elem, "relevant").map(Expression::new);
        q.required = self.bind_condition(elem, "required").map(Expression::new);
        q.constraint = self
            .bind_attr(elem, "constraint")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| Expression::new(self.expression(c, elem)));
        q.required_message = self.bind_message(elem, "requiredMsg");
        q.constraint_message = self.bind_message(elem, "constraintMsg");
        let own_read_only = self.bind_condition(elem, "readonly");
        q.read_only = match (own_read_only, read_only) {
            (Some(own), Some(outer)) => Some(format!("({own}) or ({outer})")),
            (Some(own), None) => Some(own),
            (None, outer) => outer.map(str::to_owned),
        }
        .map(Expression::new);
        if matches!(q.kind, QuestionType::Metadata(_)) {
            return Some(q);
        }
        let calculate = self
            .bind_attr(elem, "calculate")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        if let Some(calculate) = calculate {
            q.calculation = Some(Expression::new(self.expression(&calculate, elem)));
        }
        if let Some((source, value, node)) = self.elems[elem].trigger.clone() {
            if q.calculation.is_some() {
                self.error(
                    node,
                    format!(
                        "`{}` is both calculated and set when `{}` changes: Letsema can do one \
                         or the other; remove the calculate or the setvalue",
                        self.path_of(elem),
                        self.path_of(source)
                    ),
                );
            }
            q.trigger = Some(Expression::new(format!("${{{}}}", self.elems[source].name)));
            q.calculation = value.map(Expression::new);
        }
        q.default = match self.elems[elem].default.clone() {
            Some((default, _)) => Some(default),
            None => {
                let text = self.elems[elem].text.clone();
                (!text.is_empty()).then(|| crate::expr::literal_default(&text))
            }
        };
        // A read-only input with nothing to show is a note, as pyxform writes one.
        if q.kind == QuestionType::Text
            && control
                .as_ref()
                .is_some_and(|c| c.kind == ControlKind::Input)
            && q.read_only.as_ref().is_some_and(|r| r == "true()")
            && q.calculation.is_none()
            && q.default.is_none()
            && q.required.is_none()
        {
            q.kind = QuestionType::Note;
            q.read_only = None;
        }
        Some(q)
    }

    /// `jr:requiredMsg` / `jr:constraintMsg`: text, or a `jr:itext('id')` reference.
    fn bind_message(&mut self, elem: usize, local: &str) -> Text {
        let Some(value) = self.bind_attr(elem, local) else {
            return Text::default();
        };
        match crate::itext::itext_id(value) {
            Some(id) => {
                let node = self.anchor(elem);
                self.itext_text(&id, elem, node).label
            }
            None if value.trim().is_empty() => Text::default(),
            None => Text::plain(value.trim()),
        }
    }

    /// What kind of question a leaf is, from its bind's type and preload, its control and
    /// the actions aimed at it.
    fn question_type(
        &mut self,
        elem: usize,
        control: Option<&Control<'a>>,
    ) -> Option<QuestionType> {
        let data_type = self
            .bind_attr(elem, "type")
            .map(|t| local(t.trim()).to_ascii_lowercase())
            .unwrap_or_else(|| "string".to_owned());
        let node = self.anchor(elem);
        let path = self.path_of(elem);
        if self.elems[elem].start_geopoint {
            return Some(QuestionType::Metadata(MetadataKind::StartGeopoint));
        }
        if let Some(preload) = self.bind_attr(elem, "preload") {
            let params = self.bind_attr(elem, "preloadParams").unwrap_or("").trim();
            let lower = params.to_ascii_lowercase();
            let kind = match (preload.trim(), lower.as_str()) {
                ("timestamp", "start") => Some(MetadataKind::Start),
                ("timestamp", "end") => Some(MetadataKind::End),
                ("date", "today") => Some(MetadataKind::Today),
                ("property", "deviceid" | "uri:deviceid") => Some(MetadataKind::DeviceId),
                ("property", "username" | "uri:username") => Some(MetadataKind::Username),
                ("property", "email" | "uri:email") => Some(MetadataKind::Email),
                ("property", "phonenumber" | "uri:phonenumber") => Some(MetadataKind::PhoneNumber),
                ("property", "simserial") => Some(MetadataKind::SimSerial),
                ("property", "subscriberid") => Some(MetadataKind::SubscriberId),
                ("uid", _) => None,
                _ => {
                    self.error(
                        node,
                        format!(
                            "`{path}` is filled in by the device with jr:preload=\"{preload}\" \
                             jr:preloadParams=\"{params}\", which Letsema does not know: use \
                             start, end, today, deviceid, username, email, phonenumber, \
                             simserial or subscriberid, or remove the preload"
                        ),
                    );
                    return None;
                }
            };
            match kind {
                Some(kind) => return Some(QuestionType::Metadata(kind)),
                // A fresh id, kept once made.
                None => {
                    self.elems[elem].default = Some(("uuid()".to_owned(), node));
                    return Some(QuestionType::Hidden);
                }
            }
        }
        let parent_is_meta = self.elems[elem]
            .parent
            .is_some_and(|p| self.elems[p].name == "meta");
        if self.elems[elem].name == "audit" && parent_is_meta && data_type == "binary" {
            return Some(QuestionType::Metadata(MetadataKind::Audit));
        }
        if self.elems[elem].record_audio {
            return Some(QuestionType::Hidden);
        }
        let Some(control) = control else {
            if data_type == "binary" {
                self.warn(
                    node,
                    format!(
                        "`{path}` is a file with no control to attach it: it stays empty in \
                         Letsema"
                    ),
                );
            }
            let calculated =
                self.bind_attr(elem, "calculate").is_some() || self.elems[elem].trigger.is_some();
            return Some(if calculated {
                QuestionType::Calculate
            } else {
                QuestionType::Hidden
            });
        };
        let unsupported = |b: &mut Self, what: &str, todo: &str| {
            b.error(
                control.node,
                format!("`{path}` is {what}, which Letsema has no question for: {todo}"),
            );
            None
        };
        match control.kind {
            ControlKind::Select1 | ControlKind::Select | ControlKind::Rank => {
                let list = control.list.clone()?;
                Some(match control.kind {
                    ControlKind::Select1 => QuestionType::SelectOne {
                        list,
                        or_other: false,
                    },
                    ControlKind::Select => QuestionType::SelectMultiple {
                        list,
                        or_other: false,
                    },
                    _ => QuestionType::Rank { list },
                })
            }
            ControlKind::External => control
                .list
                .clone()
                .map(|list| QuestionType::SelectOneExternal { list }),
            ControlKind::Range => control.range.map(QuestionType::Range),
            ControlKind::Trigger => Some(QuestionType::Acknowledge),
            ControlKind::Upload => {
                let mediatype = control.mediatype.as_deref().unwrap_or("").trim();
                let family = mediatype.split('/').next().unwrap_or("");
                match family {
                    "image" => Some(QuestionType::Image),
                    "audio" => Some(QuestionType::Audio),
                    "video" => Some(QuestionType::Video),
                    "osm" => unsupported(
                        self,
                        "an OpenStreetMap feature (mediatype osm/*)",
                        "remove the question or replace it with a geopoint",
                    ),
                    _ => Some(QuestionType::File),
                }
            }
            ControlKind::Input | ControlKind::Textarea | ControlKind::Secret => {
                match data_type.as_str() {
                    "string" | "" => Some(QuestionType::Text),
                    "int" | "integer" | "long" | "short" => Some(QuestionType::Integer),
                    "decimal" | "double" | "float" => Some(QuestionType::Decimal),
                    "date" => Some(QuestionType::Date),
                    "time" => Some(QuestionType::Time),
                    "datetime" => Some(QuestionType::DateTime),
                    "geopoint" => Some(QuestionType::Geopoint),
                    "geotrace" => Some(QuestionType::Geotrace),
                    "geoshape" => Some(QuestionType::Geoshape),
                    "barcode" => Some(QuestionType::Barcode),
                    "binary" => Some(QuestionType::File),
                    "boolean" => unsupported(
                        self,
                        "a true/false input (type boolean)",
                        "make it a select_one with the choices true and false, or an \
                         acknowledge (<trigger>)",
                    ),
                    "select1" | "select" => unsupported(
                        self,
                        "typed as a select but shown with <input>",
                        "use <select1> or <select> with its choices",
                    ),
                    other => unsupported(
                        self,
                        &format!("of type `{other}`"),
                        "use string, int, decimal, date, time, dateTime, geopoint, geotrace, \
                         geoshape or barcode",
                    ),
                }
            }
        }
    }

    /// Refuses the form when two fields share a name (Letsema's `${name}` must name one
    /// field), naming both paths.
    fn check_names(&mut self, form: &Form) {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        let root = format!("/{}", self.elems[0].name);
        for (path, _) in form.items_depth_first() {
            let Some(name) = path.last() else { continue };
            let full = format!("{root}{path}");
            match seen.get(name.as_str()) {
                Some(first) => {
                    let first = first.clone();
                    let node = self.elems[0].node;
                    self.error(
                        node,
                        format!(
                            "two fields are called `{name}`: {first} and {full}. Letsema \
                             refers to fields by name, so names must be unique in the whole \
                             form: rename one of them (in the XLSForm, then convert it again)"
                        ),
                    );
                }
                None => {
                    seen.insert(name.to_string(), full);
                }
            }
        }
    }

    /// The element a compile error is about, for its line.
    fn compile_error_anchor(&self, error: &CompileError) -> Node<'a, 'a> {
        let field = match error {
            CompileError::DuplicateName { name } => Some(name.as_str()),
            CompileError::Parse { field, .. }
            | CompileError::UnknownReference { field, .. }
            | CompileError::UnknownList { field, .. } => Some(field.as_str()),
            CompileError::Cycle { fields } => fields.first().map(String::as_str),
            _ => None,
        };
        field
            .and_then(|f| self.elems.iter().position(|e| e.name == f && !e.dropped))
            .map_or(self.elems[0].node, |e| self.anchor(e))
    }
}
