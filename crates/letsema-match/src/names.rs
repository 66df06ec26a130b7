//! Names as duplicate detection compares them: folded to one spelling, split into words,
//! and compared word by word with Jaro-Winkler.
//!
//! # Spelling rules
//!
//! Sesotho is written in two orthographies: Lesotho's and South Africa's. A member
//! registered in Maseru as *Tšepo Mokhothu* may be registered in Johannesburg as *Tshepo
//! Mokgothu*. Before comparing, every name is folded to one spelling (Lesotho's), so that
//! both read alike:
//!
//! | South Africa | Lesotho | for example |
//! | --- | --- | --- |
//! | sh (tsh) | š (tš) | Tshepo → Tšepo |
//! | kg | kh | Mokgothu → Mokhothu |
//! | di, du | li, lu | Dineo → Lineo |
//! | wa, we | oa, oe | Mweketsi → Moeketsi |
//! | ya | ea | Moya → Moea |
//! | tj | ch | Tjaka → Chaka |
//! | (none) | ' (elision) | Malineo → 'Malineo |
//!
//! and *th* is read as *t* (the aspiration is often dropped in informal spellings). Then
//! diacritics go and the letters are lower case: the folded form is ASCII. The rules are
//! applied to both names of a pair, so a name already in Lesotho's spelling is unchanged.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A word of a name: its folded spelling, which names are matched by, and its plain one
/// (lower case, without diacritics, no other rule), which counts typing mistakes as typed:
/// `Tšepiso` and `Tepiso` are one letter apart, though `tshepiso` and `tepiso` are two.
#[derive(Debug, Clone, Eq)]
pub struct Word {
    pub folded: String,
    pub plain: String,
}

/// Words are the same word when their folded spellings are.
impl PartialEq for Word {
    fn eq(&self, other: &Word) -> bool {
        self.folded == other.folded
    }
}

/// A name's words, in order: each folded (see the module's rules) and plain.
pub fn words(name: &str) -> Vec<Word> {
    name.split(|c: char| c.is_whitespace() || c == '-' || c == ',' || c == '.')
        .map(|word| Word {
            folded: fold(word),
            plain: plain(word),
        })
        .filter(|word| !word.folded.is_empty())
        .collect()
}

/// A word in lower case without diacritics or apostrophes, and no spelling rule.
pub fn plain(word: &str) -> String {
    word.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// One word in the folded spelling (see the module's rules).
pub fn fold(word: &str) -> String {
    let mut text: String = word
        .chars()
        .filter(|c| !matches!(c, '\'' | '’' | '‘' | '`' | 'ʼ'))
        .flat_map(char::to_lowercase)
        .collect();
    // Lesotho's š is South Africa's sh: both become sh, which the rest leaves alone.
    text = text.replace('š', "sh");
    for (from, to) in [
        ("tj", "ch"),
        ("kg", "kh"),
        ("di", "li"),
        ("du", "lu"),
        ("wa", "oa"),
        ("we", "oe"),
        ("ya", "ea"),
        ("th", "t"),
    ] {
        if text.contains(from) {
            text = text.replace(from, to);
        }
    }
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// How alike two words are: Jaro-Winkler, 1.0 for the same word.
pub fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    strsim::jaro_winkler(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_orthographies_fold_to_one_spelling() {
        for (lesotho, south_africa) in [
            ("Tšepo", "Tshepo"),
            ("Mokhothu", "Mokgothu"),
            ("Lineo", "Dineo"),
            ("Moeketsi", "Mweketsi"),
            ("Moea", "Moya"),
            ("Chaka", "Tjaka"),
            ("'Malineo", "Madineo"),
            ("Likeleli", "Dikeledi"),
            ("Retšelisitsoe", "Retshelisitswe"),
        ] {
            assert_eq!(
                fold(lesotho),
                fold(south_africa),
                "{lesotho} / {south_africa}"
            );
        }
        assert_eq!(fold("Tšepo"), "tshepo");
        assert_eq!(fold("MOKHOTHU"), "mokhotu");
    }

    #[test]
    fn names_split_into_folded_words() {
        let folded = |name: &str| -> Vec<String> {
            words(name).into_iter().map(|word| word.folded).collect()
        };
        assert_eq!(
            folded(" Palesa  Lineo-Mokhothu "),
            ["palesa", "lineo", "mokhotu"]
        );
        assert_eq!(folded("Nts'ebo"), ["ntsebo"]);
        assert!(words(" - ").is_empty());
        assert_eq!(words("Tšepiso")[0].plain, "tsepiso");
    }

    #[test]
    fn similar_words_score_high_and_others_low() {
        assert!(similarity("palesa", "plaesa") > 0.9);
        assert!(similarity("palesa", "lerato") < 0.7);
        assert_eq!(similarity("neo", "neo"), 1.0);
    }
}
