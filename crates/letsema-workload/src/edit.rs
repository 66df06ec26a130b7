//! Realistic one-field edits of generated submissions, for the sync benchmark and the
//! multi-device simulation.

use letsema_doc::{Answer, SubmissionDoc, Timestamp};

use crate::WorkloadError;
use crate::data::{COMMENTS, MONTHS};
use crate::generator::{
    Generator, age_at_reference, civil_from_days, is_employed, other_country, parse_date,
};

/// What [`Generator::edit_one_field`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldEdit {
    /// The top-level field changed.
    pub field: String,
    /// Its answer before, if it had one.
    pub before: Option<Answer>,
    /// Its answer now.
    pub after: Answer,
}

/// How many times a field is drawn again before a different value is forced.
const REDRAWS: usize = 8;

impl Generator {
    /// Changes one realistic field of `doc` to another valid value, in one change at `at`:
    /// the city (within the same region), the phone number, the e-mail address, the
    /// employment status (within employed or not employed, so that whether `sector` is asked
    /// does not change), the months available, or the comments.
    ///
    /// The document stays complete and valid for the form if it was.
    ///
    /// # Errors
    ///
    /// [`WorkloadError::NothingToEdit`] when the member did not consent (there is nothing
    /// but the consent to change, and changing it would make the submission incomplete);
    /// [`WorkloadError::Doc`] if the document refuses the write.
    pub fn edit_one_field(
        &mut self,
        doc: &mut SubmissionDoc,
        at: Timestamp,
    ) -> Result<FieldEdit, WorkloadError> {
        let answers = doc.answers();
        let text = |name: &str| match answers.get(name) {
            Some(Answer::Value(t)) => Some(t.as_str()),
            _ => None,
        };
        if text("consent") != Some("yes") {
            return Err(WorkloadError::NothingToEdit {
                submission_id: doc.meta().submission_id.clone(),
            });
        }
        let country = text("country").unwrap_or_default();
        let other = if country == "other" {
            text("country_other").and_then(other_country)
        } else {
            None
        };

        let mut options = vec![("city", 30), ("phone", 25), ("employment", 20)];
        if text("email").is_some() {
            options.push(("email", 15));
        }
        if text("months_available").is_some() {
            options.push(("months_available", 5));
        }
        options.push(("comments", 5));
        let field = self.weighted(&options);
        let current = text(field);

        let after = match field {
            "city" => match other {
                Some(other) => {
                    let cities: Vec<&'static str> = other
                        .cities
                        .iter()
                        .copied()
                        .filter(|c| Some(*c) != current)
                        .collect();
                    self.pick(&cities).to_owned()
                }
                None => {
                    let region = text("region").unwrap_or_default();
                    self.city(country, region, current)
                }
            },
            "phone" => self.redraw(current, |g| g.phone(country, other), bump_last_digit),
            "email" => {
                let first = text("first_name").unwrap_or("member");
                let surname = text("surname").unwrap_or("lesotho");
                let birth_year = text("dob")
                    .and_then(parse_date)
                    .map_or(1980, |day| civil_from_days(day).0);
                self.redraw(
                    current,
                    |g| g.email(first, surname, birth_year, country),
                    |email| email.replacen('@', "1@", 1),
                )
            }
            "employment" => {
                let employed = current.is_some_and(is_employed);
                let old_enough = text("dob")
                    .and_then(parse_date)
                    .is_some_and(|dob| age_at_reference(dob) >= 55);
                let mut choices = if employed {
                    vec!["employed_full", "employed_part", "self_employed"]
                } else {
                    vec!["not_employed", "student"]
                };
                if !employed && (old_enough || current == Some("retired")) {
                    choices.push("retired");
                }
                choices.retain(|c| Some(*c) != current);
                self.pick(&choices).to_owned()
            }
            "months_available" => {
                let months: Vec<(&str, u32)> = MONTHS
                    .iter()
                    .copied()
                    .filter(|(m, _)| Some(*m) != current)
                    .collect();
                self.weighted(&months).to_owned()
            }
            _ => {
                let comments: Vec<&'static str> = COMMENTS
                    .iter()
                    .copied()
                    .filter(|c| Some(*c) != current)
                    .collect();
                self.pick(&comments).to_owned()
            }
        };

        let before = answers.get(field).cloned();
        let after = Answer::Value(after);
        doc.set_answer(field, &after, at)?;
        Ok(FieldEdit {
            field: field.to_owned(),
            before,
            after,
        })
    }

    /// A value from `draw` other than `current`: drawn again a few times, then changed by
    /// `fix` if the draws keep repeating it.
    fn redraw(
        &mut self,
        current: Option<&str>,
        mut draw: impl FnMut(&mut Generator) -> String,
        fix: fn(String) -> String,
    ) -> String {
        for _ in 0..REDRAWS {
            let value = draw(self);
            if Some(value.as_str()) != current {
                return value;
            }
        }
        fix(draw(self))
    }
}

/// `number` with its last digit changed.
fn bump_last_digit(mut number: String) -> String {
    match number.pop() {
        Some(d @ '0'..='8') => number.push(char::from(d as u8 + 1)),
        Some(_) => number.push('0'),
        None => number.push('1'),
    }
    number
}
