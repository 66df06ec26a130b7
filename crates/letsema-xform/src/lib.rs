//! ODK XForm import: an XForm's XML in, a [`Form`] and diagnostics out.
//!
//! An [XForm](https://getodk.github.io/xforms-spec/) is what ODK Central, KoboToolbox and
//! SurveyCTO serve to phones and what pyxform writes from an XLSForm. This crate reads one
//! into Letsema's form model: the primary instance gives the fields and their nesting, the
//! binds their types and expressions, the body their controls, labels and choices;
//! `<itext>` gives every language; secondary instances become
//! [`DataInstance`](letsema_form::model::DataInstance)s and the choice lists of itemsets.
//! It does no I/O: it takes bytes, and builds for wasm32.
//!
//! Problems come back as data: every [`Diagnostic`] names the element (its XPath and line)
//! and says what to do. The form is given only when there is no error, and only when the
//! form engine compiles it ([`CompiledForm::new`](letsema_form::runtime::CompiledForm::new)).
//! What Letsema cannot do (an external app, labels from `jr:itext()` in an expression, a
//! location recorded when an answer changes...) is an error or a warning, never silently
//! dropped.
//!
//! Expressions are kept as written, absolute paths included; two rewrites keep their
//! meaning in Letsema: inside a repeat, an absolute path into the same repeat becomes
//! `${name}` (JavaRosa reads it in the current instance, as Letsema reads `${name}`), and
//! in an itemset's predicate, paths to answers become `${name}` (bare names there are the
//! choice's columns).
//!
//! ```
//! let xform = r#"<h:html xmlns="http://www.w3.org/2002/xforms"
//!     xmlns:h="http://www.w3.org/1999/xhtml">
//!   <h:head>
//!     <h:title>Demo</h:title>
//!     <model>
//!       <instance><data id="demo"><age/><job/></data></instance>
//!       <bind nodeset="/data/age" type="int" required="true()"/>
//!       <bind nodeset="/data/job" type="string" relevant="/data/age &gt;= 16"/>
//!     </model>
//!   </h:head>
//!   <h:body>
//!     <input ref="/data/age"><label>How old are you?</label></input>
//!     <input ref="/data/job"><label>What is your job?</label></input>
//!   </h:body>
//! </h:html>"#;
//! let import = letsema_xform::import(xform.as_bytes());
//! assert!(import.diagnostics.is_empty(), "{:?}", import.diagnostics);
//! let form = import.form.expect("no errors, so a form");
//! assert_eq!(form.id.as_str(), "demo");
//! let job = form.find_question("job").expect("a question");
//! assert_eq!(job.relevant.as_ref().map(|e| e.as_str()), Some("/data/age >= 16"));
//! ```

mod body;
mod build;
mod choices;
mod expr;
mod instance;
mod itext;
#[cfg(test)]
mod tests;
mod xml;

use std::fmt;

use letsema_form::model::Form;

/// The largest XForm accepted, in bytes. The largest forms in use are a few megabytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The deepest nesting of elements accepted, counting from the document's root element.
pub const MAX_DEPTH: usize = 64;

/// The most XML nodes (elements, attributes' owners, text) an XForm may have, so that a
/// file within [`MAX_BYTES`] cannot make the parser hold hundreds of megabytes.
pub const MAX_NODES: u32 = 1_000_000;

/// What an import gives: the form when there is no error, and every diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The form, `None` when any diagnostic is an error.
    pub form: Option<Form>,
    /// Errors and warnings, roughly in document order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Import {
    /// The diagnostics that are errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// The diagnostics that are warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The form cannot be used until this is fixed.
    Error,
    /// The form works, but something in it is left out or works differently.
    Warning,
}

/// A problem in the XForm, where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Whether the problem stops the import.
    pub severity: Severity,
    /// The 1-based line of the element (or of the XML error); `None` for the whole file.
    pub line: Option<u32>,
    /// The element's XPath in the XForm document (`/h:html/h:head/model/bind[3]`); `None`
    /// for the whole file.
    pub element: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl Diagnostic {
    pub(crate) fn file_error(message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            line: None,
            element: None,
            message: message.into(),
        }
    }

    pub(crate) fn at(severity: Severity, node: roxmltree::Node<'_, '_>, message: String) -> Self {
        Diagnostic {
            severity,
            line: Some(xml::line_of(node)),
            element: Some(xml::xpath_of(node)),
            message,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.severity)?;
        match (self.line, &self.element) {
            (Some(line), Some(element)) => write!(f, " [line {line}, {element}]")?,
            (Some(line), None) => write!(f, " [line {line}]")?,
            (None, Some(element)) => write!(f, " [{element}]")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// Imports an XForm from its bytes (UTF-8 XML).
pub fn import(bytes: &[u8]) -> Import {
    let refuse = |message: String| Import {
        form: None,
        diagnostics: vec![Diagnostic::file_error(message)],
    };
    if bytes.len() > MAX_BYTES {
        return refuse(format!(
            "the file is {} bytes, more than the {MAX_BYTES} an XForm may have: check that it \
             is the form and not its media or data, and move large lists into an attached \
             CSV file",
            bytes.len()
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            return refuse(format!(
                "the file is not UTF-8 text (invalid byte at offset {}): an XForm is XML; \
                 save it as UTF-8",
                e.valid_up_to()
            ));
        }
    };
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        entity_resolver: None,
    };
    let document = match roxmltree::Document::parse_with_options(text, options) {
        Ok(document) => document,
        Err(e) => {
            let position = e.pos();
            return Import {
                form: None,
                diagnostics: vec![Diagnostic {
                    severity: Severity::Error,
                    line: Some(position.row),
                    element: None,
                    message: format!(
                        "the file is not well-formed XML ({e}): export the form again, or fix \
                         the XML at that place"
                    ),
                }],
            };
        }
    };
    if let Some(deep) = too_deep(&document) {
        return Import {
            form: None,
            diagnostics: vec![Diagnostic::at(
                Severity::Error,
                deep,
                format!(
                    "elements are nested more than {MAX_DEPTH} deep here: no form needs that \
                     many groups inside each other; flatten the form"
                ),
            )],
        };
    }
    let (form, diagnostics) = build::build(&document);
    let has_error = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Import {
        form: if has_error { None } else { form },
        diagnostics,
    }
}

/// The first element nested deeper than [`MAX_DEPTH`], found without recursion (the rest
/// of the importer recurses, and may once this says the tree is shallow enough).
fn too_deep<'a>(document: &'a roxmltree::Document<'a>) -> Option<roxmltree::Node<'a, 'a>> {
    let mut depth: Vec<u32> = Vec::new();
    for node in document.descendants() {
        let ix = node.id().get_usize();
        if depth.len() <= ix {
            depth.resize(ix + 1, 0);
        }
        let d = node.parent().map_or(0, |p| {
            depth.get(p.id().get_usize()).copied().unwrap_or(0) + 1
        });
        depth[ix] = d;
        // The document node is depth 0 and the root element depth 1.
        if node.is_element() && d as usize > MAX_DEPTH {
            return Some(node);
        }
    }
    None
}
