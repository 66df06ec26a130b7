//! The files attached to a form: CSV, XML and GeoJSON read into the form's secondary
//! instances and into the choice lists `select_one_from_file` draws from.
//!
//! An importer declares what a form needs (a
//! [`DataInstance`](letsema_form::model::DataInstance) whose `source` names a file, a
//! [`ChoiceList`](letsema_form::model::ChoiceList) with [`FileChoices`]); [`attach`] reads the files and fills them in,
//! so that the published definition carries the data and a device needs no CSV or XML
//! parser to work offline. Every file is bounded ([`Limits`]) before it is parsed, and every
//! problem names the file, the line or row, and what to do.
//!
//! ```
//! use letsema_datafile::{attach, required_files, Limits};
//! use letsema_form::model::{DataInstance, DataNode, Form, FormId};
//!
//! let mut form = Form::new(FormId::new("demo"), "Demo");
//! form.instances.push(DataInstance {
//!     id: "fruits".into(),
//!     source: Some("fruits.csv".into()),
//!     root: DataNode::new("root"),
//! });
//! assert_eq!(required_files(&form), ["fruits.csv"]);
//! let files = [("fruits.csv".to_owned(), b"name,price\napple,3\nbanana,5\n".to_vec())];
//! attach(&mut form, &files, &Limits::default()).expect("the file is attached");
//! let root = &form.instances[0].root;
//! assert_eq!(root.children.len(), 2);
//! assert_eq!(root.children[1].children[1], DataNode::leaf("price", "5"));
//! ```

mod csv_file;
mod geojson;
mod xml;

use std::collections::BTreeMap;

use letsema_form::model::{Choice, ChoiceValue, DataNode, FileChoices, Form, Text};

/// How much attached data a form may carry. A device downloads all of it with the form
/// and keeps it offline, so the defaults are what a cheap phone handles comfortably.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest one file may be, in bytes (default 5 MB).
    pub file_bytes: usize,
    /// The most all the files together may weigh, in bytes (default 10 MB).
    pub total_bytes: usize,
    /// The most elements (rows times columns, XML elements) all files together may give
    /// (default 1,000,000).
    pub elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: 5 * 1024 * 1024,
            total_bytes: 10 * 1024 * 1024,
            elements: 1_000_000,
        }
    }
}

/// Why the attached files cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataFileError {
    /// The form needs a file that was not attached.
    #[error("the form reads `{file}`, which was not attached: attach it with the form")]
    Missing {
        /// The file's name.
        file: String,
    },
    /// A file was attached that the form does not read.
    #[error(
        "`{file}` was attached, but the form does not read it (it reads {}): remove it, or \
         correct its name",
        if needed.is_empty() { "no file".to_owned() } else { needed.join(", ") }
    )]
    Unused {
        /// The file's name.
        file: String,
        /// The files the form reads.
        needed: Vec<String>,
    },
    /// A file was attached twice.
    #[error("`{file}` was attached twice: attach each file once")]
    Duplicate {
        /// The file's name.
        file: String,
    },
    /// A file is larger than [`Limits::file_bytes`].
    #[error(
        "`{file}` is {size} bytes, more than the {limit} bytes an attached file may be: split \
         the data, or keep only the rows and columns the form uses"
    )]
    FileTooLarge {
        /// The file's name.
        file: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The files together are larger than [`Limits::total_bytes`].
    #[error(
        "the attached files weigh {size} bytes together, more than the {limit} bytes a form \
         may carry (every device downloads them): keep only the rows and columns the form uses"
    )]
    TotalTooLarge {
        /// Their total size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The files give more elements than [`Limits::elements`].
    #[error(
        "the attached files hold more than {limit} values, more than a form may carry: keep \
         only the rows and columns the form uses"
    )]
    TooManyElements {
        /// The limit.
        limit: usize,
    },
    /// A file's extension is not one this crate reads.
    #[error("`{file}`: an attached data file is .csv, .xml or .geojson")]
    UnknownKind {
        /// The file's name.
        file: String,
    },
    /// A file's content is wrong; the message says where and what to do.
    #[error("`{file}`: {message}")]
    Invalid {
        /// The file's name.
        file: String,
        /// Where and what.
        message: String,
    },
}

impl DataFileError {
    pub(crate) fn invalid(file: &str, message: impl Into<String>) -> Self {
        DataFileError::Invalid {
            file: file.to_owned(),
            message: message.into(),
        }
    }
}

/// The files `form` reads, each once, in the order the form declares them.
pub fn required_files(form: &Form) -> Vec<String> {
    let mut files: Vec<String> = Vec::new();
    let declared = form
        .instances
        .iter()
        .filter_map(|i| i.source.clone())
        .chain(
            form.choice_lists
                .iter()
                .filter_map(|l| l.from_file.as_ref().map(|f| f.file.clone())),
        );
    for file in declared {
        if !files.contains(&file) {
            files.push(file);
        }
    }
    files
}

/// Reads `files` (name and bytes) into the instances and choice lists of `form` that
/// declare them. Every file the form reads must be there, and no other.
///
/// # Errors
///
/// Every [`DataFileError`] found, one per file at most; `form` is unchanged then.
pub fn attach(
    form: &mut Form,
    files: &[(String, Vec<u8>)],
    limits: &Limits,
) -> Result<(), Vec<DataFileError>> {
    let needed = required_files(form);
    let mut errors = Vec::new();
    let mut by_name: BTreeMap<&str, &[u8]> = BTreeMap::new();
    let mut total = 0usize;
    for (name, bytes) in files {
        if by_name.insert(name.as_str(), bytes.as_slice()).is_some() {
            errors.push(DataFileError::Duplicate { file: name.clone() });
        }
        if !needed.contains(name) {
            errors.push(DataFileError::Unused {
                file: name.clone(),
                needed: needed.clone(),
            });
        }
        if bytes.len() > limits.file_bytes {
            errors.push(DataFileError::FileTooLarge {
                file: name.clone(),
                size: bytes.len(),
                limit: limits.file_bytes,
            });
        }
        total = total.saturating_add(bytes.len());
    }
    for file in &needed {
        if !by_name.contains_key(file.as_str()) {
            errors.push(DataFileError::Missing { file: file.clone() });
        }
    }
    if total > limits.total_bytes {
        errors.push(DataFileError::TotalTooLarge {
            size: total,
            limit: limits.total_bytes,
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut budget = Budget::new(limits.elements);
    let mut read: BTreeMap<&str, DataNode> = BTreeMap::new();
    for file in &needed {
        let Some(bytes) = by_name.get(file.as_str()) else {
            continue;
        };
        match read_file(file, bytes, &mut budget) {
            Ok(root) => {
                read.insert(file.as_str(), root);
            }
            Err(e @ DataFileError::TooManyElements { .. }) => {
                // The budget is spent: the other files would only say the same.
                errors.push(e);
                break;
            }
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut instances = form.instances.clone();
    for instance in &mut instances {
        if let Some(root) = instance.source.as_deref().and_then(|f| read.get(f)) {
            instance.root = root.clone();
        }
    }
    let mut lists = form.choice_lists.clone();
    for list in &mut lists {
        let Some(from) = &list.from_file else {
            continue;
        };
        let Some(root) = read.get(from.file.as_str()) else {
            continue;
        };
        match choices(from, root) {
            Ok(choices) => list.choices = choices,
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    form.instances = instances;
    form.choice_lists = lists;
    Ok(())
}

/// How many more elements the files may give.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    left: usize,
    limit: usize,
}

impl Budget {
    /// A budget of `limit` elements.
    pub fn new(limit: usize) -> Self {
        Budget { left: limit, limit }
    }

    /// How many elements are left.
    pub fn remaining(&self) -> usize {
        self.left
    }

    /// Spends one element.
    pub(crate) fn spend(&mut self) -> Result<(), DataFileError> {
        self.left = self
            .left
            .checked_sub(1)
            .ok_or(DataFileError::TooManyElements { limit: self.limit })?;
        Ok(())
    }
}

/// Reads one file into its document's root element, spending one of `budget` per element.
/// The kind of file is its extension's: `.csv`, `.xml` or `.geojson`.
///
/// # Errors
///
/// A [`DataFileError`] naming the file, and where in it.
pub fn read_file(file: &str, bytes: &[u8], budget: &mut Budget) -> Result<DataNode, DataFileError> {
    let extension = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let text = std::str::from_utf8(bytes).map_err(|e| {
        DataFileError::invalid(
            file,
            format!(
                "byte {} is not UTF-8 text: save the file as UTF-8 (in Excel, \"CSV UTF-8\")",
                e.valid_up_to() + 1
            ),
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match extension.as_str() {
        "csv" => csv_file::read(file, text, budget),
        "xml" => xml::read(file, text, budget),
        "geojson" => geojson::read(file, text, budget),
        _ => Err(DataFileError::UnknownKind {
            file: file.to_owned(),
        }),
    }
}

/// The choices of a list read from a file: each `item` of its root element, its value and
/// label from the columns `from` names, every other column a property.
fn choices(from: &FileChoices, root: &DataNode) -> Result<Vec<Choice>, DataFileError> {
    if root.name != "root" {
        return Err(DataFileError::invalid(
            &from.file,
            format!(
                "the choices are the `<item>` elements of a `<root>` element, but the file's \
                 root element is `<{}>`: write it as `<root><item><{}>…</{}><{}>…</{}></item>…</root>`",
                root.name, from.value, from.value, from.label, from.label
            ),
        ));
    }
    let mut out = Vec::new();
    for (i, item) in root
        .children
        .iter()
        .filter(|c| c.name == "item")
        .enumerate()
    {
        let cell = |column: &str| {
            item.children
                .iter()
                .find(|c| c.name == column)
                .map(DataNode::string_value)
        };
        let Some(value) = cell(&from.value) else {
            return Err(DataFileError::invalid(
                &from.file,
                format!(
                    "item {} has no `{}`, which gives each choice's value: add that column, or \
                     name the column to use with the question's parameter `value=…`",
                    i + 1,
                    from.value
                ),
            ));
        };
        let label = cell(&from.label).unwrap_or_default();
        let mut properties = BTreeMap::new();
        for c in &item.children {
            if c.name != from.value && c.name != from.label {
                properties
                    .entry(c.name.clone())
                    .or_insert_with(|| c.string_value());
            }
        }
        out.push(Choice {
            value: ChoiceValue::new(value),
            label: Text::plain(label),
            media: Default::default(),
            properties,
        });
    }
    Ok(out)
}

/// Whether `name` can be an element name that a path reads (`item/price`): a letter or
/// `_` first, then letters, digits, `_`, `-` and `.`.
pub(crate) fn is_element_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
