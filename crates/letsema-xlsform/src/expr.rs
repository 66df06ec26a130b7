//! What the importer needs from expressions: their syntax errors and the `${name}`s they
//! refer to. Labels and messages are not expressions but may embed `${name}` too.

use std::borrow::Cow;
use std::ops::Range;

/// The typographic quotes pyxform straightens, and what it makes of them: its
/// `SMART_QUOTES` and `clean_text_values` in `pyxform/parsing/sheet_headers.py` (4.5.0).
/// Spreadsheet programs type these when autocorrect is on; the XPath ODK reads has none.
const CURLY_QUOTES: [(char, char); 4] = [
    ('\u{2018}', '\''),
    ('\u{2019}', '\''),
    ('\u{201C}', '"'),
    ('\u{201D}', '"'),
];

/// A `${name}` in a cell: the name and its byte range in the cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reference {
    pub(crate) name: String,
    pub(crate) span: Range<usize>,
}

/// A syntax error: where (bytes of the cell) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub(crate) span: Range<usize>,
    pub(crate) message: String,
}

/// An expression cell as pyxform reads it: every ‘ and ’ made ', every “ and ” made ",
/// wherever they are, inside string literals too (pyxform replaces them in the whole cell
/// before anything reads it). Each replaces one character by one, so character positions
/// in messages stay those of the cell as written.
pub(crate) fn straighten_quotes(source: &str) -> Cow<'_, str> {
    let curly = |c: char| CURLY_QUOTES.iter().find(|(from, _)| *from == c);
    if !source.chars().any(|c| curly(c).is_some()) {
        return Cow::Borrowed(source);
    }
    Cow::Owned(
        source
            .chars()
            .map(|c| curly(c).map_or(c, |(_, to)| *to))
            .collect(),
    )
}

/// Parses an expression, giving the names it refers to.
pub(crate) fn check_expression(source: &str) -> Result<Vec<Reference>, SyntaxError> {
    match letsema_expr::parse(source) {
        Ok(expression) => Ok(expression
            .references()
            .into_iter()
            .map(|reference| Reference {
                name: reference.name,
                span: reference.span,
            })
            .collect()),
        Err(error) => Err(SyntaxError {
            span: error.span.clone(),
            message: error.message.clone(),
        }),
    }
}

/// The `${name}`s embedded in a text (a label, a hint, a message, a default).
pub(crate) fn text_references(text: &str) -> Vec<Reference> {
    let mut references = Vec::new();
    let mut from = 0;
    while let Some(found) = text.get(from..).and_then(|rest| rest.find("${")) {
        let start = from + found;
        let name_start = start + 2;
        let Some(length) = text.get(name_start..).and_then(|rest| rest.find('}')) else {
            break;
        };
        let end = name_start + length;
        let name = text.get(name_start..end).unwrap_or_default().trim();
        if !name.is_empty() {
            references.push(Reference {
                name: name.to_owned(),
                span: start..end + 1,
            });
        }
        from = end + 1;
    }
    references
}

/// The 1-based character position of a byte offset, as a person counts along the cell.
pub(crate) fn character_at(text: &str, byte: usize) -> usize {
    let byte = byte.min(text.len());
    let mut boundary = byte;
    while !text.is_char_boundary(boundary) {
        boundary -= 1;
    }
    text[..boundary].chars().count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_in_text_are_found_with_their_spans() {
        let refs = text_references("Hello ${name}, you are ${ age } (${unclosed");
        let names: Vec<_> = refs
            .iter()
            .map(|r| (r.name.as_str(), r.span.clone()))
            .collect();
        assert_eq!(names, [("name", 6..13), ("age", 23..31)]);
    }

    #[test]
    fn curly_quotes_are_straightened_and_nothing_else() {
        assert_eq!(
            straighten_quotes("‘a’ = “b” and ‛c‟ = ′d″ and `e´"),
            "'a' = \"b\" and ‛c‟ = ′d″ and `e´"
        );
        assert!(matches!(straighten_quotes("'a' = \"b\""), Cow::Borrowed(_)));
    }

    #[test]
    fn characters_are_counted_not_bytes() {
        assert_eq!(character_at("abc", 0), 1);
        assert_eq!(character_at("éa", 2), 2);
        assert_eq!(character_at("éa", 1), 1);
        assert_eq!(character_at("ab", 9), 3);
    }
}
