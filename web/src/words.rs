//! The app's own words (buttons, page numbers, messages), in English and Sesotho.
//!
//! A form brings its own labels in every language it was written in; these are the words
//! the app adds around them. The Sesotho was written without a native speaker and is to be
//! reviewed by one before the app reaches volunteers (REVIEW: Sesotho).

/// The app's words in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// The language's code, for the `lang` attribute of what the app writes.
    pub code: &'static str,
    /// The button to the next page.
    pub next: &'static str,
    /// The button to the previous page.
    pub previous: &'static str,
    /// The button that finalises a submission.
    pub finalise: &'static str,
    /// The button that adds a repeat instance.
    pub add: &'static str,
    /// The button that removes a repeat instance.
    pub remove: &'static str,
    /// The message for a required question without an answer, when the form gives none.
    pub required: &'static str,
    /// Read after a required question's label by screen readers.
    pub required_marker: &'static str,
    /// The button that fills in a geopoint from the device.
    pub use_my_location: &'static str,
    /// Shown while the device looks for its position.
    pub locating: &'static str,
    /// The device refused to tell its position.
    pub location_denied: &'static str,
    /// The device could not find its position.
    pub location_unavailable: &'static str,
    /// The device took too long to find its position.
    pub location_timeout: &'static str,
    /// The browser has no geolocation at all.
    pub location_unsupported: &'static str,
    /// The label of the text box a geopoint can also be typed in.
    pub location_typed: &'static str,
    /// The first, empty entry of a drop-down list.
    pub choose: &'static str,
    /// The title of the last page, where a submission is checked and finalised.
    pub review_title: &'static str,
    /// Said on the last page when nothing stops finalising.
    pub review_ready: &'static str,
    /// Said on the last page before the list of what needs attention.
    pub review_issues: &'static str,
    /// Said when the submission has been finalised.
    pub finalised: &'static str,
    /// The button beside an issue that goes to its question.
    pub go_to_question: &'static str,
    /// Shown for a question of a kind the app cannot ask yet (photos, files, ...).
    pub unsupported: &'static str,
    /// Shown when the saved answers do not fit the form.
    pub answers_do_not_fit: &'static str,
    /// The name of the page navigation, for screen readers.
    pub navigation: &'static str,
    /// "Page 3 of 7", with `{page}` and `{pages}` for the numbers.
    pub page_of_template: &'static str,
}

/// English.
pub const ENGLISH: Words = Words {
    code: "en",
    next: "Next",
    previous: "Previous",
    finalise: "Finalise",
    add: "Add",
    remove: "Remove",
    required: "This answer is required.",
    required_marker: "required",
    use_my_location: "Use my location",
    locating: "Finding your location…",
    location_denied: "This device did not allow the app to know its location. Allow location \
                      for this site in the browser's settings, or type the location below.",
    location_unavailable: "The device could not find its location. Go outside or near a \
                           window and try again, or type the location below.",
    location_timeout: "Finding the location took too long. Try again, or type the location \
                       below.",
    location_unsupported: "This browser cannot tell the location. Type it below.",
    location_typed: "Latitude and longitude",
    choose: "Choose…",
    review_title: "Check and finalise",
    review_ready: "Everything needed is answered. You can finalise.",
    review_issues: "These questions need attention before you can finalise:",
    finalised: "Finalised. Thank you.",
    go_to_question: "Go to the question",
    unsupported: "This kind of question cannot be answered in this app yet.",
    answers_do_not_fit: "The saved answers do not fit this form:",
    navigation: "Pages",
    page_of_template: "Page {page} of {pages}",
};

// REVIEW: Sesotho. Written without a native speaker; to be checked by one.
/// Sesotho (to be reviewed by a native speaker).
pub const SESOTHO: Words = Words {
    code: "st",
    next: "E latelang",
    previous: "E fetileng",
    finalise: "Qetela",
    add: "Eketsa",
    remove: "Tlosa",
    required: "Karabo ena ea hlokahala.",
    required_marker: "ea hlokahala",
    use_my_location: "Sebelisa sebaka sa ka",
    locating: "Re batla sebaka sa hao…",
    location_denied: "Sesebelisoa sena ha sea lumella app ho tseba sebaka sa sona. Lumella \
                      sebaka ho litlhophiso tsa sebatli, kapa ngola sebaka ka tlase.",
    location_unavailable: "Sesebelisoa ha se a fumana sebaka sa sona. Tsoela ka ntle kapa \
                           haufi le fensetere 'me u leke hape, kapa ngola sebaka ka tlase.",
    location_timeout: "Ho batla sebaka ho nkile nako e telele. Leka hape, kapa ngola sebaka \
                       ka tlase.",
    location_unsupported: "Sebatli sena se ke ke sa bolela sebaka. Se ngole ka tlase.",
    location_typed: "Latitude le longitude",
    choose: "Khetha…",
    review_title: "Hlahloba 'me u qetele",
    review_ready: "Tsohle tse hlokahalang li arabiloe. U ka qetela.",
    review_issues: "Lipotso tsena li hloka tlhokomelo pele u ka qetela:",
    finalised: "E qetiloe. Re a leboha.",
    go_to_question: "Eya potsong",
    unsupported: "Potso ea mofuta ona e ke ke ea arajoa ka app ena hajoale.",
    answers_do_not_fit: "Likarabo tse bolokiloeng ha li lumellane le foromo ena:",
    navigation: "Maqephe",
    page_of_template: "Leqephe la {page} ho a {pages}",
};

impl Words {
    /// The words for a language given by code or name (`st`, `Sesotho`, `Sesotho (st)`);
    /// English for any other, and when none is given.
    pub fn for_language(language: Option<&str>) -> &'static Words {
        let Some(language) = language else {
            return &ENGLISH;
        };
        let language = language.trim().to_ascii_lowercase();
        let is_sesotho = language == "st"
            || language == "sot"
            || language.starts_with("sesotho")
            || language.ends_with("(st)");
        if is_sesotho { &SESOTHO } else { &ENGLISH }
    }

    /// "Page 3 of 7".
    pub fn page_of(&self, page: usize, pages: usize) -> String {
        self.page_of_template
            .replace("{page}", &page.to_string())
            .replace("{pages}", &pages.to_string())
    }
}

#[cfg(test)]
mod tests {
    // On wasm32 the same tests run in the browser (`./dev test` runs the crate there).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn sesotho_is_found_by_code_and_by_name() {
        for name in ["st", "ST", "Sesotho", "Sesotho (st)"] {
            assert_eq!(Words::for_language(Some(name)).code, "st", "{name}");
        }
        for name in ["en", "English (en)", "fr"] {
            assert_eq!(Words::for_language(Some(name)).code, "en", "{name}");
        }
        assert_eq!(Words::for_language(None).code, "en");
    }

    #[test]
    fn pages_are_counted_in_words() {
        assert_eq!(ENGLISH.page_of(3, 7), "Page 3 of 7");
        assert_eq!(SESOTHO.page_of(3, 7), "Leqephe la 3 ho a 7");
    }
}
