//! Texts: `<itext>` translations, inline labels and hints, and `<output>`s in them.

use std::collections::HashMap;

use letsema_expr::{Expr, PathStart, StepTest, parse};
use letsema_form::model::{Language, Media, Text};
use roxmltree::Node;

use crate::build::{Builder, local};
use crate::xml::{attr, children, elements, is};

/// The translations of `<itext>`.
#[derive(Debug, Default)]
pub(crate) struct Itext<'a> {
    /// The languages, in document order.
    languages: Vec<String>,
    /// The one marked `default="true()"`.
    default: Option<usize>,
    /// For each text id, its values: language, `form` (`None` for the text itself,
    /// `image`, `audio`, `guidance`...) and the `<value>` element.
    texts: HashMap<String, Vec<(usize, Option<String>, Node<'a, 'a>)>>,
}

impl Itext<'_> {
    /// The form's default language: the translation marked default, or the first; `None`
    /// when that is pyxform's `default` (texts written without a language).
    pub(crate) fn default_language(&self) -> Option<&str> {
        let ix = self
            .default
            .or_else(|| (self.languages.len() > 1).then_some(0))?;
        let language = self.languages.get(ix)?;
        (language != "default").then_some(language.as_str())
    }
}

/// A label or hint as text in every language, with its media and (for hints) the
/// guidance shown on request.
#[derive(Debug, Default, Clone)]
pub(crate) struct Texts {
    pub label: Text,
    pub media: Media,
    pub guidance: Text,
}

/// The id in `jr:itext('id')`, also written `jr:itext("id")`.
pub(crate) fn itext_id(reference: &str) -> Option<String> {
    let inner = reference
        .trim()
        .strip_prefix("jr:itext(")?
        .strip_suffix(')')?
        .trim();
    let id = inner
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')))?;
    Some(id.to_owned())
}

/// The file name of a media reference: `jr://images/a.png` is `a.png`.
fn media_file(value: &str) -> String {
    let value = value.trim();
    match value.strip_prefix("jr://") {
        Some(rest) => rest.rsplit('/').next().unwrap_or(rest).to_owned(),
        None => value.to_owned(),
    }
}

fn set(text: &mut Text, language: &str, value: String) {
    if language == "default" {
        text.default = Some(value);
    } else {
        text.translations.insert(Language::new(language), value);
    }
}

impl<'a> Builder<'a> {
    pub(crate) fn read_itext(&mut self, itext: Node<'a, 'a>) {
        for translation in children(itext, "translation") {
            let language = attr(translation, "lang").unwrap_or("default").trim();
            let ix = self.itext.languages.len();
            self.itext.languages.push(language.to_owned());
            // JavaRosa takes any `default` attribute for the default, `default=""` too.
            if attr(translation, "default")
                .is_some_and(|d| !matches!(d.trim(), "false()" | "false"))
            {
                self.itext.default = Some(ix);
            }
            for text in children(translation, "text") {
                let Some(id) = attr(text, "id") else {
                    self.warn(
                        text,
                        "this <text> has no `id`, so nothing can show it: it is left out"
                            .to_owned(),
                    );
                    continue;
                };
                for value in children(text, "value") {
                    let form = attr(value, "form").map(|f| f.trim().to_owned());
                    self.itext
                        .texts
                        .entry(id.to_owned())
                        .or_default()
                        .push((ix, form, value));
                }
            }
        }
    }

    /// The texts a `jr:itext('id')` names, `<output>`s read from the element `context`.
    pub(crate) fn itext_text(&mut self, id: &str, context: usize, at: Node<'_, '_>) -> Texts {
        let Some(values) = self.itext.texts.get(id).cloned() else {
            self.error(
                at,
                format!(
                    "jr:itext('{id}') names no text of the form's <itext>: add the text or fix \
                     the id"
                ),
            );
            return Texts::default();
        };
        let mut texts = Texts::default();
        // The text itself may be given as the plain value, `long` or `short`: the plain
        // one wins, then `long`.
        let mut rank: HashMap<usize, u8> = HashMap::new();
        for (language_ix, form, value) in values {
            let language = self.itext.languages[language_ix].clone();
            match form.as_deref() {
                None | Some("long") | Some("short") => {
                    let r = match form.as_deref() {
                        None => 3,
                        Some("long") => 2,
                        _ => 1,
                    };
                    if rank.get(&language_ix).is_some_and(|&old| old >= r) {
                        continue;
                    }
                    rank.insert(language_ix, r);
                    let rendered = self.render(value, context);
                    set(&mut texts.label, &language, rendered);
                }
                Some("image") => set(
                    &mut texts.media.image,
                    &language,
                    media_file(&crate::xml::text_of(value)),
                ),
                Some("big-image") => set(
                    &mut texts.media.big_image,
                    &language,
                    media_file(&crate::xml::text_of(value)),
                ),
                Some("audio") => set(
                    &mut texts.media.audio,
                    &language,
                    media_file(&crate::xml::text_of(value)),
                ),
                Some("video") => set(
                    &mut texts.media.video,
                    &language,
                    media_file(&crate::xml::text_of(value)),
                ),
                Some("guidance") => {
                    let rendered = self.render(value, context);
                    set(&mut texts.guidance, &language, rendered);
                }
                Some(other) => {
                    let message = format!(
                        "a text of form `{other}` is not something Letsema shows (it shows the \
                         text, image, big-image, audio, video and guidance): it is left out"
                    );
                    self.warn(value, message);
                }
            }
        }
        texts
    }

    /// A `<label>` or `<hint>`: its `jr:itext()` reference, or its own text.
    pub(crate) fn texts_of(&mut self, node: Node<'a, 'a>, context: usize) -> Texts {
        if let Some(reference) = attr(node, "ref") {
            return match itext_id(reference) {
                Some(id) => self.itext_text(&id, context, node),
                None => {
                    self.error(
                        node,
                        format!(
                            "this text comes from `{reference}`, which Letsema cannot read: \
                             write the text, or refer to <itext> with jr:itext('id')"
                        ),
                    );
                    Texts::default()
                }
            };
        }
        let rendered = self.render(node, context);
        Texts {
            label: if rendered.is_empty() {
                Text::default()
            } else {
                Text::plain(rendered)
            },
            ..Texts::default()
        }
    }

    /// The text of an element, `<output value="/data/name"/>` written `${name}` as Letsema
    /// labels show answers, trimmed.
    pub(crate) fn render(&mut self, node: Node<'a, 'a>, context: usize) -> String {
        let mut out = String::new();
        self.render_into(node, context, &mut out);
        // The indentation of the XML around a text's lines is not part of it.
        out.trim()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn render_into(&mut self, node: Node<'a, 'a>, context: usize, out: &mut String) {
        for child in node.children() {
            if child.is_text() {
                out.push_str(child.text().unwrap_or(""));
            } else if is(child, "output") {
                let value = attr(child, "value").or_else(|| attr(child, "ref"));
                match value.and_then(|v| self.output_field(v, context)) {
                    Some(name) => {
                        out.push_str("${");
                        out.push_str(&name);
                        out.push('}');
                    }
                    None => {
                        let value = value.unwrap_or("");
                        self.warn(
                            child,
                            format!(
                                "this <output> shows `{value}`, but Letsema labels can show \
                                 only a field's answer (`${{name}}`): it is left out; add a \
                                 calculate with that expression and show it instead"
                            ),
                        );
                    }
                }
            } else if child.is_element() {
                self.render_into(child, context, out);
            }
        }
    }

    /// The name of the field an `<output>`'s expression reads, when it is a plain path
    /// (absolute, relative to the question, or from `current()`) or a `${name}`.
    fn output_field(&self, value: &str, context: usize) -> Option<String> {
        match parse(value).ok()? {
            Expr::Ref(r) => Some(r.name),
            Expr::Path(p) => {
                let mut current = match &p.start {
                    PathStart::Root => {
                        let mut steps = p.steps.iter();
                        match steps.next().map(|s| &s.test) {
                            Some(StepTest::Name(n)) if local(n) == self.elems[0].name => {}
                            _ => return None,
                        }
                        return self.walk_steps(0, steps.as_slice()).and_then(|e| {
                            (e != 0 && !self.elems[e].dropped).then(|| self.elems[e].name.clone())
                        });
                    }
                    PathStart::Relative => context,
                    PathStart::Expr(e) => match e.as_ref() {
                        Expr::Call(c) if c.name == "current" && c.args.is_empty() => context,
                        _ => return None,
                    },
                };
                current = self.walk_steps(current, &p.steps)?;
                (current != 0 && !self.elems[current].dropped)
                    .then(|| self.elems[current].name.clone())
            }
            _ => None,
        }
    }

    /// Follows plain steps (`.`, `..`, names, no predicates) from an element.
    pub(crate) fn walk_steps(&self, from: usize, steps: &[letsema_expr::Step]) -> Option<usize> {
        let mut current = from;
        for step in steps {
            if !step.predicates.is_empty() {
                return None;
            }
            current = match &step.test {
                StepTest::SelfNode => current,
                StepTest::Parent => self.elems[current].parent?,
                StepTest::Name(n) => {
                    let n = local(n);
                    *self.elems[current]
                        .children
                        .iter()
                        .find(|&&c| self.elems[c].name == n)?
                }
                StepTest::AnyChild => return None,
            };
        }
        Some(current)
    }

    /// The label, hint (with guidance) and media of a control or group.
    pub(crate) fn control_texts(&mut self, node: Node<'a, 'a>, context: usize) -> (Texts, Texts) {
        let mut label = Texts::default();
        let mut hint = Texts::default();
        for child in elements(node) {
            if is(child, "label") {
                label = self.texts_of(child, context);
            } else if is(child, "hint") {
                hint = self.texts_of(child, context);
            }
        }
        (label, hint)
    }
}
