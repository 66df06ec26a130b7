//! Splits source text into tokens (XPath 1.0 §3.7, plus XLSForm `${name}`).
//!
//! Names are not told apart from the operator words `and`, `or`, `div` and `mod`, nor `*`
//! from a name test: XPath decides by position, so the parser does.

use std::ops::Range;

use crate::error::ParseError;

/// A token kind with its payload.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A number literal.
    Number(f64),
    /// A string literal, without quotes.
    Literal(String),
    /// `${name}`, with the name.
    Ref(String),
    /// An NCName or QName (`name`, `jr:choice-name`).
    Name(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Slash,
    DoubleSlash,
    Dot,
    DotDot,
    At,
    DoubleColon,
    Pipe,
    Plus,
    Minus,
    Star,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// `$name`: an XPath variable, which forms do not have.
    Variable(String),
}

/// A token and its byte range in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
}

/// Splits `src` into tokens.
pub(crate) fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        let next_is = |s: &str| src[start..].starts_with(s);
        let (tok, len) = match c {
            ' ' | '\t' | '\r' | '\n' => {
                chars.next();
                continue;
            }
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            ',' => (Tok::Comma, 1),
            '|' => (Tok::Pipe, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '*' => (Tok::Star, 1),
            '=' => (Tok::Eq, 1),
            '@' => (Tok::At, 1),
            '/' if next_is("//") => (Tok::DoubleSlash, 2),
            '/' => (Tok::Slash, 1),
            ':' if next_is("::") => (Tok::DoubleColon, 2),
            '!' if next_is("!=") => (Tok::Ne, 2),
            '<' if next_is("<=") => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next_is(">=") => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '.' if next_is("..") => (Tok::DotDot, 2),
            '.' if !src[start + 1..].starts_with(|c: char| c.is_ascii_digit()) => (Tok::Dot, 1),
            '0'..='9' | '.' => {
                let len = number_len(&src[start..]);
                let text = &src[start..start + len];
                let n = text
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .ok_or_else(|| {
                        ParseError::new(
                            start..start + len,
                            format!("`{text}` is not a number this form can use"),
                        )
                    })?;
                (Tok::Number(n), len)
            }
            '\'' | '"' => {
                let body = &src[start + 1..];
                let Some(end) = body.find(c) else {
                    return Err(ParseError::new(
                        start..src.len(),
                        format!(
                            "this string is never closed: add a closing {c} (a string cannot \
                             contain its own quote; use the other quote, or concat())"
                        ),
                    ));
                };
                (Tok::Literal(body[..end].to_owned()), end + 2)
            }
            '$' if next_is("${") => {
                let body = &src[start + 2..];
                let Some(end) = body.find('}') else {
                    return Err(ParseError::new(
                        start..src.len(),
                        "this `${` reference is never closed: write `${name}`",
                    ));
                };
                let name = &body[..end];
                if !valid_ref_name(name) {
                    return Err(ParseError::new(
                        start..start + end + 3,
                        format!(
                            "`${{{name}}}` is not a valid reference: write the name of a \
                             question, group or repeat, as in `${{age}}`"
                        ),
                    ));
                }
                (Tok::Ref(name.to_owned()), end + 3)
            }
            '$' => {
                let len = 1 + name_len(&src[start + 1..]);
                (Tok::Variable(src[start + 1..start + len].to_owned()), len)
            }
            c if is_name_start(c) => {
                let mut len = name_len(&src[start..]);
                // A QName: `prefix:local` (but not `name::axis`).
                let rest = &src[start + len..];
                if rest.starts_with(':')
                    && !rest.starts_with("::")
                    && rest[1..].starts_with(is_name_start)
                {
                    len += 1 + name_len(&rest[1..]);
                }
                (Tok::Name(src[start..start + len].to_owned()), len)
            }
            c => {
                return Err(ParseError::new(
                    start..start + c.len_utf8(),
                    format!("unexpected character `{c}`"),
                ));
            }
        };
        out.push(Token {
            tok,
            span: start..start + len,
        });
        while chars.peek().is_some_and(|&(i, _)| i < start + len) {
            chars.next();
        }
    }
    Ok(out)
}

/// The length of the NCName at the start of `s` (0 if none).
fn name_len(s: &str) -> usize {
    let mut len = 0;
    for (i, c) in s.char_indices() {
        let ok = if i == 0 {
            is_name_start(c)
        } else {
            is_name_char(c)
        };
        if !ok {
            break;
        }
        len = i + c.len_utf8();
    }
    len
}

/// The length of the number literal at the start of `s`: `\d+(\.\d*)?|\.\d+`.
fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' && !s[i..].starts_with("..") {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    i
}

/// Whether `name` can appear in `${name}`: an XML name, as XLSForm requires.
fn valid_ref_name(name: &str) -> bool {
    !name.is_empty() && name_len(name) == name.len()
}
