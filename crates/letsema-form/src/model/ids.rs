//! Newtypes for the names and ids a form definition is made of.
//!
//! They are plain strings underneath: the importer checks their content and reports what is
//! wrong with a row of the spreadsheet, so the model itself accepts any text and stays a
//! faithful record of what the form's author wrote.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a string.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The text as written in the form.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Gives the string back.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_newtype!(
    /// A form's id (`form_id` on the settings sheet): what submissions point back to.
    FormId
);
string_newtype!(
    /// The name of a question, group or repeat (the `name` column): the key of its answer
    /// and what `${name}` refers to in expressions.
    FieldName
);
string_newtype!(
    /// The name of a list of choices (`list_name` on the choices sheet).
    ListName
);
string_newtype!(
    /// The value a choice stores when it is selected (`name` on the choices sheet).
    ChoiceValue
);
string_newtype!(
    /// An expression in the ODK XPath dialect, kept as the author wrote it. The runtime
    /// compiles it; the importer only checks that it parses.
    Expression
);
string_newtype!(
    /// A widget hint (`appearance` column), such as `field-list`, `minimal` or `multiline`.
    Appearance
);

/// The name of a question; the same type as the names of groups and repeats.
pub type QuestionName = FieldName;

/// Where an item sits in the form: the names of its enclosing groups and repeats, then its
/// own. Displays as `/group/question`, the way XForms paths are written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FieldPath(Vec<FieldName>);

impl FieldPath {
    /// The path of the form's root.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by one name.
    pub fn child(&self, name: &FieldName) -> Self {
        let mut names = self.0.clone();
        names.push(name.clone());
        Self(names)
    }

    /// The names from the outermost group to the item itself.
    pub fn names(&self) -> &[FieldName] {
        &self.0
    }

    /// The item's own name; `None` for the root.
    pub fn last(&self) -> Option<&FieldName> {
        self.0.last()
    }
}

impl From<Vec<FieldName>> for FieldPath {
    fn from(names: Vec<FieldName>) -> Self {
        Self(names)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("/");
        }
        for name in &self.0 {
            write!(f, "/{name}")?;
        }
        Ok(())
    }
}
