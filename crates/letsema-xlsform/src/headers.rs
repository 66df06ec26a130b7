//! Column headers: pyxform's aliases, translations (`label::English (en)`, `label:Sesotho`)
//! and namespaced forms (`bind:relevant`, `media::image`), all case-insensitive.

/// What a column means, on any sheet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Type,
    Name,
    Label,
    Hint,
    GuidanceHint,
    Image,
    BigImage,
    Audio,
    Video,
    Required,
    RequiredMessage,
    Relevant,
    Constraint,
    ConstraintMessage,
    Calculation,
    Default,
    ReadOnly,
    ChoiceFilter,
    Appearance,
    Parameters,
    Trigger,
    RepeatCount,
    ListName,
    FormTitle,
    FormId,
    Version,
    DefaultLanguage,
    InstanceName,
    /// A column the importer does not use (on the choices sheet: a property of the choice).
    Other,
}

impl Key {
    /// Whether the column may carry a language.
    fn translatable(&self) -> bool {
        matches!(
            self,
            Key::Label
                | Key::Hint
                | Key::GuidanceHint
                | Key::Image
                | Key::BigImage
                | Key::Audio
                | Key::Video
                | Key::RequiredMessage
                | Key::ConstraintMessage
        )
    }

    /// The name this column has in messages.
    pub(crate) fn canonical(&self) -> &'static str {
        match self {
            Key::Type => "type",
            Key::Name => "name",
            Key::Label => "label",
            Key::Hint => "hint",
            Key::GuidanceHint => "guidance_hint",
            Key::Image => "image",
            Key::BigImage => "big-image",
            Key::Audio => "audio",
            Key::Video => "video",
            Key::Required => "required",
            Key::RequiredMessage => "required_message",
            Key::Relevant => "relevant",
            Key::Constraint => "constraint",
            Key::ConstraintMessage => "constraint_message",
            Key::Calculation => "calculation",
            Key::Default => "default",
            Key::ReadOnly => "read_only",
            Key::ChoiceFilter => "choice_filter",
            Key::Appearance => "appearance",
            Key::Parameters => "parameters",
            Key::Trigger => "trigger",
            Key::RepeatCount => "repeat_count",
            Key::ListName => "list_name",
            Key::FormTitle => "form_title",
            Key::FormId => "form_id",
            Key::Version => "version",
            Key::DefaultLanguage => "default_language",
            Key::InstanceName => "instance_name",
            Key::Other => "other",
        }
    }
}

/// Which sheet a header belongs to: the same word means different things on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SheetKind {
    Survey,
    Choices,
    Settings,
}

/// One header cell, understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) key: Key,
    /// The language of a translated column, as written.
    pub(crate) language: Option<String>,
    /// The header as written, for messages and for choice properties.
    pub(crate) text: String,
    pub(crate) index: usize,
}

pub(crate) fn parse(text: &str, index: usize, sheet: SheetKind) -> Header {
    let text = text.trim().to_owned();
    let lower = text.to_lowercase();
    if let Some(key) = alias(&lower, sheet) {
        return Header {
            key,
            language: None,
            text,
            index,
        };
    }
    let tokens: Vec<&str> = if text.contains("::") {
        text.split("::").map(str::trim).collect()
    } else {
        text.split(':').map(str::trim).collect()
    };
    let first = tokens.first().map(|t| t.to_lowercase()).unwrap_or_default();
    let rest = tokens.get(1..).unwrap_or_default();
    let (key, language) = match first.as_str() {
        "bind" | "control" | "body" => {
            let name = format!("{first}::{}", rest.join(":").to_lowercase());
            (alias(&name, sheet).unwrap_or(Key::Other), None)
        }
        "media" => {
            let kind = rest
                .first()
                .map(|kind| kind.to_lowercase())
                .unwrap_or_default();
            (
                alias(&kind, sheet).unwrap_or(Key::Other),
                rest.get(1..).map(|language| language.join(":")),
            )
        }
        _ => (
            alias(&first, sheet).unwrap_or(Key::Other),
            (!rest.is_empty()).then(|| rest.join(":")),
        ),
    };
    let language = language.filter(|language| !language.is_empty());
    // A language on a column that cannot have one (`required::English`) is not that column.
    let key = if language.is_some() && !key.translatable() {
        Key::Other
    } else {
        key
    };
    Header {
        key,
        language,
        text,
        index,
    }
}

/// A header as pyxform compares it with the columns it knows (`to_snake_case`): its words
/// joined by underscores, in lower case (`Repeat  Count` is `repeat_count`).
pub(crate) fn snake_case(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join("_")
        .to_lowercase()
}

fn alias(written: &str, sheet: SheetKind) -> Option<Key> {
    let snake = snake_case(written);
    let lower = snake.as_str();
    let media = match lower {
        "image" => Some(Key::Image),
        "big-image" => Some(Key::BigImage),
        "audio" => Some(Key::Audio),
        "video" => Some(Key::Video),
        _ => None,
    };
    if media.is_some() && sheet != SheetKind::Settings {
        return media;
    }
    let key = match sheet {
        SheetKind::Survey => match lower {
            "type" | "command" => Key::Type,
            "name" | "tag" | "value" => Key::Name,
            "label" | "caption" => Key::Label,
            "hint" => Key::Hint,
            "guidance_hint" => Key::GuidanceHint,
            "required" | "bind::required" => Key::Required,
            "required_message" | "requiredmsg" | "bind::jr:requiredmsg" => Key::RequiredMessage,
            "relevant" | "relevance" | "bind::relevant" => Key::Relevant,
            "constraint" | "bind::constraint" => Key::Constraint,
            "constraint_message" | "constraining_message" | "bind::jr:constraintmsg" => {
                Key::ConstraintMessage
            }
            "calculation" | "calculate" | "bind::calculate" => Key::Calculation,
            "default" => Key::Default,
            "read_only" | "readonly" | "bind::readonly" => Key::ReadOnly,
            "choice_filter" => Key::ChoiceFilter,
            "appearance" | "control::appearance" | "body::appearance" => Key::Appearance,
            "parameters" => Key::Parameters,
            "trigger" => Key::Trigger,
            "repeat_count" | "count" | "jr:count" | "control::jr:count" => Key::RepeatCount,
            _ => return None,
        },
        SheetKind::Choices => match lower {
            "list_name" => Key::ListName,
            "name" | "value" => Key::Name,
            "label" | "caption" => Key::Label,
            _ => return None,
        },
        SheetKind::Settings => match lower {
            "form_title" | "set_form_title" | "title" => Key::FormTitle,
            "form_id" | "id_string" | "set_form_id" => Key::FormId,
            "version" => Key::Version,
            "default_language" => Key::DefaultLanguage,
            "instance_name" => Key::InstanceName,
            _ => return None,
        },
    };
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, sheet: SheetKind, key: Key, language: Option<&str>) {
        let header = parse(text, 0, sheet);
        assert_eq!(
            (header.key, header.language.as_deref()),
            (key, language),
            "{text}"
        );
    }

    #[test]
    fn headers_are_understood_whatever_their_spelling() {
        use SheetKind::*;
        check("TYPE", Survey, Key::Type, None);
        check("label", Survey, Key::Label, None);
        check(
            "label::English (en)",
            Survey,
            Key::Label,
            Some("English (en)"),
        );
        check("label:Sesotho", Survey, Key::Label, Some("Sesotho"));
        check("LABEL::EN", Survey, Key::Label, Some("EN"));
        check("caption:english", Survey, Key::Label, Some("english"));
        check("bind:relevant", Survey, Key::Relevant, None);
        check("relevance", Survey, Key::Relevant, None);
        check(
            "bind::jr:constraintMsg",
            Survey,
            Key::ConstraintMessage,
            None,
        );
        check(
            "bind:jr:constraintMsg",
            Survey,
            Key::ConstraintMessage,
            None,
        );
        check("constraint message", Survey, Key::ConstraintMessage, None);
        check(
            "constraint_message::chinese",
            Survey,
            Key::ConstraintMessage,
            Some("chinese"),
        );
        check("requiredMsg", Survey, Key::RequiredMessage, None);
        check("control:appearance", Survey, Key::Appearance, None);
        check("media:image:english", Survey, Key::Image, Some("english"));
        check("media::audio::chinese", Survey, Key::Audio, Some("chinese"));
        check("image::english", Survey, Key::Image, Some("english"));
        check("jr:count", Survey, Key::RepeatCount, None);
        check("required::English", Survey, Key::Other, Some("English"));
        check("buttonText", Survey, Key::Other, None);
        check("list name", Choices, Key::ListName, None);
        check("LIST_NAME", Choices, Key::ListName, None);
        check("country", Choices, Key::Other, None);
        check("id_string", Settings, Key::FormId, None);
    }

    #[test]
    fn spaces_read_as_underscores_as_pyxform_reads_them() {
        use SheetKind::*;
        check("repeat count", Survey, Key::RepeatCount, None);
        check("Repeat  Count", Survey, Key::RepeatCount, None);
        check("constraining_message", Survey, Key::ConstraintMessage, None);
        check("guidance hint", Survey, Key::GuidanceHint, None);
        check(
            "Constraint Message::Sesotho (st)",
            Survey,
            Key::ConstraintMessage,
            Some("Sesotho (st)"),
        );
        check("form id", Settings, Key::FormId, None);
        check("set_form_title", Settings, Key::FormTitle, None);
        check("default language", Settings, Key::DefaultLanguage, None);
        check("instance name", Settings, Key::InstanceName, None);
        // A column it does not know keeps its spelling: a choice filter names it so.
        let header = parse("home district", 0, Choices);
        assert_eq!(
            (header.key, header.text.as_str()),
            (Key::Other, "home district")
        );
    }
}
