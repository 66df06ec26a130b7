//! Short text that people type and others read (labels, display names, association names):
//! the one rule every route and every backend follows. Such text is shown on other people's
//! screens and stored by both backends, so it holds no control character (a line break, a
//! tab, NUL, which PostgreSQL cannot store in `text`) and no text-direction control (which
//! could make a phone show it reversed or mixed with what follows it).

/// The most characters a label may have: an enrolment's, a device's, a public link's.
pub const MAX_LABEL_CHARS: usize = 200;

/// The most characters a staff member's display name may have.
pub const MAX_DISPLAY_NAME_CHARS: usize = 120;

/// Why a piece of text was refused. Each message names the field and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("{field}: at most {max} characters (this one has {chars}); shorten it")]
    TooLong {
        field: &'static str,
        max: usize,
        chars: usize,
    },
    #[error(
        "{field}: no line breaks, tabs or other control characters, and no text-direction \
         controls; type it on one line"
    )]
    Hidden { field: &'static str },
}

/// Checks `text`, the value of `field`, against the rule: at most `max` characters, none of
/// them hidden ([`is_hidden`]). Empty text passes; a field that must not be empty says so
/// itself.
///
/// # Errors
///
/// The first rule broken.
pub fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), TextError> {
    let chars = text.chars().count();
    if chars > max {
        return Err(TextError::TooLong { field, max, chars });
    }
    if text.chars().any(is_hidden) {
        return Err(TextError::Hidden { field });
    }
    Ok(())
}

/// A character that changes how text shows without showing itself: a control character
/// (Unicode's `Cc`) or one of Unicode's explicit bidirectional formatting characters
/// (embeddings, overrides, isolates), which are not `char::is_control`.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_hidden_direction(c)
}

/// One of Unicode's explicit bidirectional formatting characters (embeddings, overrides,
/// isolates).
pub fn is_hidden_direction(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_of_any_script_passes() {
        assert_eq!(check_text("label", "Mpho's phone — Maseru", 200), Ok(()));
        assert_eq!(check_text("label", "Ntate Mokoena 😀 中文", 200), Ok(()));
        assert_eq!(check_text("label", "", 200), Ok(()));
    }

    #[test]
    fn text_longer_than_the_limit_is_refused_counting_characters_not_bytes() {
        assert_eq!(check_text("label", &"é".repeat(200), 200), Ok(()));
        assert_eq!(
            check_text("label", &"é".repeat(201), 200),
            Err(TextError::TooLong {
                field: "label",
                max: 200,
                chars: 201
            })
        );
    }

    #[test]
    fn control_and_direction_characters_are_refused() {
        for text in [
            "a\0b",
            "two\nlines",
            "tab\there",
            "bell\u{7}",
            "\u{202E}evil",
            "x\u{2066}y",
        ] {
            assert_eq!(
                check_text("display_name", text, 200),
                Err(TextError::Hidden {
                    field: "display_name"
                }),
                "{text:?}"
            );
        }
    }

    #[test]
    fn the_message_names_the_field_and_what_to_do() {
        let message = check_text("label", "a\nb", 200)
            .expect_err("refused")
            .to_string();
        assert!(message.starts_with("label: "), "{message}");
        assert!(message.contains("one line"), "{message}");
    }
}
