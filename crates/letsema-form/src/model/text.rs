//! Translatable text: labels, hints, messages and media references.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A language as the form names it in its column headers, such as `English (en)`,
/// `Sesotho` or `EN`.
///
/// XLSForm recommends `Name (code)`; both the name and the code match a request, ignoring
/// case, so a browser asking for `en` finds `English (en)`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Language(String);

impl Language {
    /// Wraps a language name as written in the form.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as written in the form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code between parentheses at the end of the name (`en` for `English (en)`).
    pub fn code(&self) -> Option<&str> {
        let inner = self.0.trim_end().strip_suffix(')')?;
        let open = inner.rfind('(')?;
        let code = inner[open + 1..].trim();
        (!code.is_empty()).then_some(code)
    }

    /// The name without its code (`English` for `English (en)`).
    pub fn name(&self) -> &str {
        match self
            .0
            .trim_end()
            .strip_suffix(')')
            .and_then(|s| s.rfind('('))
        {
            Some(open) => self.0[..open].trim(),
            None => self.0.trim(),
        }
    }

    /// Whether a requested language (a full name, a bare name or a code) means this one.
    pub fn matches(&self, requested: &str) -> bool {
        let requested = requested.trim();
        self.0.trim().eq_ignore_ascii_case(requested)
            || self.name().eq_ignore_ascii_case(requested)
            || self
                .code()
                .is_some_and(|code| code.eq_ignore_ascii_case(requested))
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Language {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// A text in several languages: the value of a column without a language (`label`) and
/// the values of its translated columns (`label::English (en)`, `label:Sesotho`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Text {
    /// The value of the column that names no language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The value for each language that has one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<Language, String>,
}

impl Text {
    /// A text with only an untranslated value.
    pub fn plain(value: impl Into<String>) -> Self {
        Self {
            default: Some(value.into()),
            translations: BTreeMap::new(),
        }
    }

    /// This text with one more translation.
    pub fn with(mut self, language: impl Into<String>, value: impl Into<String>) -> Self {
        self.translations
            .insert(Language::new(language), value.into());
        self
    }

    /// Whether there is no value in any language.
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.translations.is_empty()
    }

    /// The text to show for a requested language.
    ///
    /// Falls back, in order, to the form's default language, to the untranslated value and
    /// to the first translation there is, so that a person always sees something rather
    /// than an empty label. `None` only when the text is empty.
    pub fn get(
        &self,
        requested: Option<&str>,
        default_language: Option<&Language>,
    ) -> Option<&str> {
        requested
            .and_then(|requested| self.translation(requested))
            .or_else(|| {
                default_language.and_then(|language| {
                    self.translations
                        .get(language)
                        .map(String::as_str)
                        .or_else(|| self.translation(language.as_str()))
                })
            })
            .or(self.default.as_deref())
            .or_else(|| self.translations.values().next().map(String::as_str))
    }

    /// The value for exactly this language (by name or code), without fallback.
    pub fn translation(&self, requested: &str) -> Option<&str> {
        let exact = self
            .translations
            .iter()
            .find(|(language, _)| language.as_str() == requested);
        exact
            .or_else(|| {
                self.translations
                    .iter()
                    .find(|(language, _)| language.matches(requested))
            })
            .map(|(_, value)| value.as_str())
    }

    /// Every value, untranslated first.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.default
            .iter()
            .map(String::as_str)
            .chain(self.translations.values().map(String::as_str))
    }
}

/// Media shown with a question or a choice (the `image`, `big-image`, `audio` and `video`
/// columns), each a file name that may differ by language.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Media {
    /// An image shown with the label.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub image: Text,
    /// A larger image shown when the small one is tapped.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub big_image: Text,
    /// A sound that can be played.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub audio: Text,
    /// A video that can be played.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub video: Text,
}

impl Media {
    /// Whether there is no media at all.
    pub fn is_empty(&self) -> bool {
        self.image.is_empty()
            && self.big_image.is_empty()
            && self.audio.is_empty()
            && self.video.is_empty()
    }

    /// Every media text, for walking languages.
    pub fn texts(&self) -> [&Text; 4] {
        [&self.image, &self.big_image, &self.audio, &self.video]
    }
}
