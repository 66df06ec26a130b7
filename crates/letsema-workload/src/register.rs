//! Registers of diaspora members with people registered more than once, and the truth of
//! who is who: what duplicate detection is measured against.
//!
//! [`register`] draws `rows` registrations, of which `duplicate_percent` in a hundred are a
//! second (or third) registration of someone already in the register, made as it happens in
//! the field: by another association's volunteer, years later, on a new phone. Each such
//! row differs from the person's first registration by one to three [`Variation`]s (and its
//! phone is written in whatever format its volunteer used), and a third of them also moved.
//!
//! The register also holds the people duplicate detection must *not* merge: siblings (the
//! same surname and family phone, another first name and birth date) and twins (the same
//! surname, birth date and phone, another first name), and the many Basotho who share a
//! common first name and surname.
//!
//! Names are written in Lesotho's orthography; [`Variation::SouthAfricanSpelling`] writes
//! them as South Africa's does (the rules are [`south_african_spelling`]'s). Everything is
//! drawn from the seed: the same arguments give the same register on every platform.

use crate::generator::Generator;

/// How a registration differs from the person's first one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variation {
    /// A letter of the first name or surname mistyped, dropped or swapped with the next.
    NameTypo,
    /// The names in South Africa's orthography (Tšepo → Tshepo, Mokhothu → Mokgothu).
    SouthAfricanSpelling,
    /// The surname written as the first name and the first name as the surname.
    SwappedNames,
    /// A second given name added.
    SecondNameAdded,
    /// The second given name left out.
    SecondNameDropped,
    /// A married woman's new surname; half the time her maiden name is kept as a given name.
    MarriedSurname,
    /// A digit of the birth date mistyped.
    BirthDateTypo,
    /// The birth date's day and month swapped.
    BirthDateSwapped,
    /// Only the year of birth known.
    BirthYearOnly,
    /// A new phone number (a new SIM card).
    NewPhone,
    /// The e-mail address in other letter case.
    EmailCase,
    /// Another e-mail address, or none.
    NewEmail,
    /// Another city, and sometimes another country.
    Moved,
}

impl Variation {
    /// Every variation, in the order reports list them.
    pub const ALL: [Variation; 13] = [
        Variation::NameTypo,
        Variation::SouthAfricanSpelling,
        Variation::SwappedNames,
        Variation::SecondNameAdded,
        Variation::SecondNameDropped,
        Variation::MarriedSurname,
        Variation::BirthDateTypo,
        Variation::BirthDateSwapped,
        Variation::BirthYearOnly,
        Variation::NewPhone,
        Variation::EmailCase,
        Variation::NewEmail,
        Variation::Moved,
    ];

    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Variation::NameTypo => "name typo",
            Variation::SouthAfricanSpelling => "South African spelling",
            Variation::SwappedNames => "names swapped",
            Variation::SecondNameAdded => "second name added",
            Variation::SecondNameDropped => "second name dropped",
            Variation::MarriedSurname => "married surname",
            Variation::BirthDateTypo => "birth date typo",
            Variation::BirthDateSwapped => "day and month swapped",
            Variation::BirthYearOnly => "year of birth only",
            Variation::NewPhone => "new phone",
            Variation::EmailCase => "e-mail case",
            Variation::NewEmail => "new or no e-mail",
            Variation::Moved => "moved",
        }
    }
}

/// Why a row is in the register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A person's first registration.
    First,
    /// A sibling of an earlier person: a different person.
    Sibling,
    /// A twin of an earlier person: a different person.
    Twin,
    /// Another registration of an earlier person.
    Again,
}

/// One registration, as a volunteer typed it, with the truth behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRow {
    /// Who this is: rows with the same number are the same person.
    pub person: u32,
    pub origin: Origin,
    /// How it differs from the person's first registration (none for a first one).
    pub variations: Vec<Variation>,
    /// Given names, separated by a space.
    pub first_names: String,
    pub surname: String,
    /// `female` or `male`.
    pub sex: &'static str,
    /// `YYYY-MM-DD`, or `YYYY` when only the year is known.
    pub date_of_birth: String,
    /// As typed: `+27 82 123 4567`, `082 123 4567`, `0027821234567`, ...
    pub phone: String,
    /// Empty when none was given.
    pub email: String,
    /// A country choice of the reference form (`south_africa`, `uk`, ...).
    pub country: &'static str,
    pub city: &'static str,
    pub profession: &'static str,
}

/// A person as first registered.
#[derive(Debug, Clone)]
struct Person {
    given: Vec<&'static str>,
    surname: &'static str,
    sex: &'static str,
    born: (i32, u32, u32),
    /// Country code and national number.
    phone: (&'static str, String),
    email: String,
    country: &'static str,
    city: &'static str,
    profession: &'static str,
}

/// A register of `rows` registrations, `duplicate_percent` in a hundred of them further
/// registrations of people already in it, drawn from `seed`.
pub fn register(rows: usize, duplicate_percent: u32, seed: u64) -> Vec<RegisterRow> {
    let mut dice = Generator::new(seed);
    let again = rows * duplicate_percent.min(100) as usize / 100;
    let firsts = rows - again;
    let mut people: Vec<Person> = Vec::with_capacity(firsts);
    let mut out = Vec::with_capacity(rows);
    while people.len() < firsts {
        let (person, origin) = match people.len() {
            0 => (new_person(&mut dice), Origin::First),
            n => {
                let roll = dice.below(1000);
                if roll < 30 {
                    let of = dice.below(n);
                    (sibling(&mut dice, &people[of], false), Origin::Sibling)
                } else if roll < 36 {
                    let of = dice.below(n);
                    (sibling(&mut dice, &people[of], true), Origin::Twin)
                } else {
                    (new_person(&mut dice), Origin::First)
                }
            }
        };
        let number = people.len() as u32;
        out.push(row(&mut dice, number, origin, &person, Vec::new()));
        people.push(person);
    }
    // Further registrations, in the order they happen: each of someone registered before
    // it (a few people three times).
    let mut registered_again: Vec<u32> = Vec::new();
    for _ in 0..again {
        let number = if !registered_again.is_empty() && dice.chance(15) {
            registered_again[dice.below(registered_again.len())]
        } else {
            dice.below(people.len()) as u32
        };
        registered_again.push(number);
        let person = people[number as usize].clone();
        let (changed, variations) = vary(&mut dice, &person);
        out.push(row(&mut dice, number, Origin::Again, &changed, variations));
    }
    // Registrations arrive mixed, not people first and duplicates after.
    shuffle(&mut dice, &mut out);
    out
}

fn shuffle(dice: &mut Generator, rows: &mut [RegisterRow]) {
    for i in (1..rows.len()).rev() {
        let j = dice.below(i + 1);
        rows.swap(i, j);
    }
}

fn new_person(dice: &mut Generator) -> Person {
    let sex = if dice.chance(58) { "female" } else { "male" };
    let names = if sex == "female" { FEMALE } else { MALE };
    let mut given = vec![pick_name(dice, names)];
    if dice.chance(35) {
        let second = pick_name(dice, names);
        if second != given[0] {
            given.push(second);
        }
    }
    let surname = dice.pick(SURNAMES);
    let born = (
        dice.between(1955, 2004) as i32,
        dice.between(1, 12) as u32,
        dice.between(1, 28) as u32,
    );
    let country = dice.weighted(COUNTRIES);
    let city = city_in(dice, country);
    let phone = phone_number(dice, country);
    let email = email_for(dice, &given, surname);
    Person {
        given,
        surname,
        sex,
        born,
        phone,
        email,
        country,
        city,
        profession: dice.weighted(crate::data::PROFESSION_WEIGHTS),
    }
}

/// A first name: mostly those given to one sex, sometimes one given to both.
fn pick_name(dice: &mut Generator, names: &[&'static str]) -> &'static str {
    if dice.chance(15) {
        dice.pick(SHARED)
    } else {
        dice.pick(names)
    }
}

/// A sibling (or a twin) of `of`: the same surname and family phone, another first name,
/// and another birth date (the same for a twin).
fn sibling(dice: &mut Generator, of: &Person, twin: bool) -> Person {
    let mut person = new_person(dice);
    person.surname = of.surname;
    person.phone = of.phone.clone();
    person.country = of.country;
    person.city = of.city;
    // Parents give each child names of their own.
    person.given.retain(|name| !of.given.contains(name));
    while person.given.is_empty() || of.given.contains(&person.given[0]) {
        person.given.insert(
            0,
            pick_name(dice, if person.sex == "female" { FEMALE } else { MALE }),
        );
        person.given.truncate(2);
        person.given.retain(|name| !of.given.contains(name));
    }
    person.born = if twin {
        of.born
    } else {
        let gap = dice.between(2, 12) as i32 * if dice.chance(50) { 1 } else { -1 };
        (
            of.born.0 + gap,
            dice.between(1, 12) as u32,
            dice.between(1, 28) as u32,
        )
    };
    person.email = email_for(dice, &person.given, person.surname);
    person
}

/// The person as a further registration records them, and how that differs.
fn vary(dice: &mut Generator, person: &Person) -> (Person, Vec<Variation>) {
    let mut changed = person.clone();
    let mut variations = Vec::new();
    // One change, two, or (as for the nurse who married, moved and got a new SIM card)
    // three.
    let wanted = match dice.below(100) {
        0..50 => 1,
        50..85 => 2,
        _ => 3,
    };
    let mut tries = 0;
    while variations.len() < wanted && tries < 20 {
        tries += 1;
        let variation = pick_variation(dice);
        if variations.contains(&variation) {
            continue;
        }
        if apply(dice, &mut changed, variation) {
            variations.push(variation);
        }
    }
    if dice.chance(30)
        && !variations.contains(&Variation::Moved)
        && apply(dice, &mut changed, Variation::Moved)
    {
        variations.push(Variation::Moved);
    }
    variations.sort();
    (changed, variations)
}

/// Makes one variation; false when it does not apply to this person.
fn apply(dice: &mut Generator, person: &mut Person, variation: Variation) -> bool {
    match variation {
        // Names are changed when the row is written (they are not `'static` any more).
        Variation::NameTypo | Variation::SouthAfricanSpelling | Variation::SwappedNames => true,
        Variation::SecondNameAdded => {
            if person.given.len() > 1 {
                return false;
            }
            let names = if person.sex == "female" { FEMALE } else { MALE };
            let second = pick_name(dice, names);
            if second == person.given[0] {
                return false;
            }
            person.given.push(second);
            true
        }
        Variation::SecondNameDropped => {
            if person.given.len() < 2 {
                return false;
            }
            person.given.truncate(1);
            true
        }
        Variation::MarriedSurname => {
            if person.sex != "female" {
                return false;
            }
            let married = dice.pick(SURNAMES);
            if married == person.surname {
                return false;
            }
            if dice.chance(50) {
                person.given.push(person.surname);
            }
            person.surname = married;
            true
        }
        Variation::BirthDateTypo => {
            let (year, month, day) = person.born;
            // One digit of the year's last two, or of the day, typed wrong.
            if dice.chance(50) {
                let digit = year % 10;
                let other = (digit + 1 + dice.below(8) as i32) % 10;
                person.born = (year - digit + other, month, day);
            } else {
                let units = day % 10;
                let other = (units + 1 + dice.below(8) as u32) % 10;
                let typed = day - units + other;
                if !(1..=28).contains(&typed) {
                    return false;
                }
                person.born = (year, month, typed);
            }
            true
        }
        Variation::BirthDateSwapped => {
            let (year, month, day) = person.born;
            if day > 12 || day == month {
                return false;
            }
            person.born = (year, day, month);
            true
        }
        Variation::BirthYearOnly | Variation::EmailCase => true,
        Variation::NewPhone => {
            person.phone = phone_number(dice, person.country);
            true
        }
        Variation::NewEmail => {
            person.email = if dice.chance(40) {
                String::new()
            } else {
                let mut email = email_for(dice, &person.given, person.surname);
                if email == person.email {
                    email.insert(0, 'x');
                }
                email
            };
            true
        }
        Variation::Moved => {
            if dice.chance(30) {
                person.country = dice.weighted(COUNTRIES);
                person.phone = if dice.chance(50) {
                    phone_number(dice, person.country)
                } else {
                    person.phone.clone()
                };
            }
            let city = city_in(dice, person.country);
            if city == person.city {
                return false;
            }
            person.city = city;
            true
        }
    }
}

/// Writes a registration: `changed` as the volunteer typed it, with the variations that
/// change only how it is written.
fn row(
    dice: &mut Generator,
    number: u32,
    origin: Origin,
    changed: &Person,
    variations: Vec<Variation>,
) -> RegisterRow {
    let mut given: Vec<String> = changed.given.iter().map(|n| (*n).to_owned()).collect();
    let mut surname = changed.surname.to_owned();
    if variations.contains(&Variation::SouthAfricanSpelling) {
        given = given.iter().map(|n| south_african_spelling(n)).collect();
        surname = south_african_spelling(&surname);
    }
    if variations.contains(&Variation::NameTypo) {
        if dice.chance(50) {
            given[0] = typo(dice, &given[0]);
        } else {
            surname = typo(dice, &surname);
        }
    }
    let (mut first_names, mut surname) = (given.join(" "), surname);
    if variations.contains(&Variation::SwappedNames) {
        std::mem::swap(&mut first_names, &mut surname);
    }
    let (year, month, day) = changed.born;
    let date_of_birth = if variations.contains(&Variation::BirthYearOnly) {
        format!("{year:04}")
    } else {
        format!("{year:04}-{month:02}-{day:02}")
    };
    let mut email = changed.email.clone();
    if variations.contains(&Variation::EmailCase) {
        email = email
            .split('.')
            .map(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            })
            .collect::<Vec<String>>()
            .join(".");
    }
    RegisterRow {
        person: number,
        origin,
        variations,
        first_names,
        surname,
        sex: changed.sex,
        date_of_birth,
        phone: written(dice, &changed.phone, changed.country),
        email,
        country: changed.country,
        city: changed.city,
        profession: changed.profession,
    }
}

/// A name as South Africa's Sesotho orthography writes what Lesotho's writes `name`:
///
/// | Lesotho | South Africa | for example |
/// | --- | --- | --- |
/// | š, tš | sh, tsh | Tšepo → Tshepo |
/// | kh | kg | Mokhothu → Mokgothu |
/// | li, lu | di, du | Lineo → Dineo |
/// | oa, oe | wa, we | Moeketsi → Mweketsi |
/// | ea (before a vowel's end) | ya | Moea → Moya |
/// | ch | tj | Chaka → Tjaka |
/// | ' (elision) | (none) | 'Malineo → Malineo |
pub fn south_african_spelling(name: &str) -> String {
    let mut text: String = name.replace('\'', "");
    for (from, to) in [
        ("tš", "tsh"),
        ("Tš", "Tsh"),
        ("š", "sh"),
        ("kh", "kg"),
        ("Kh", "Kg"),
        ("li", "di"),
        ("Li", "Di"),
        ("lu", "du"),
        ("Lu", "Du"),
        ("oa", "wa"),
        ("oe", "we"),
        ("ea", "ya"),
        ("ch", "tj"),
        ("Ch", "Tj"),
    ] {
        text = text.replace(from, to);
    }
    text
}

/// One typing mistake in a name, after its first letter: a letter replaced, dropped or
/// swapped with the next.
fn typo(dice: &mut Generator, name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    if chars.len() < 4 {
        return name.to_owned();
    }
    let at = 1 + dice.below(chars.len() - 2);
    match dice.below(3) {
        0 => {
            let letters = ['a', 'e', 'i', 'o', 'u', 'l', 'n', 's', 't', 'h'];
            let replacement = letters[dice.below(letters.len())];
            if chars[at] == replacement {
                chars.remove(at);
            } else {
                chars[at] = replacement;
            }
        }
        1 => {
            chars.remove(at);
        }
        _ => chars.swap(at, at + 1),
    }
    chars.into_iter().collect()
}

/// A mobile number of someone living in `country`: its country code and national number.
fn phone_number(dice: &mut Generator, country: &str) -> (&'static str, String) {
    let digits = |dice: &mut Generator, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + dice.below(10) as u8))
            .collect()
    };
    match country {
        "south_africa" => {
            let prefix = dice.pick(&[
                "60", "61", "62", "63", "71", "72", "73", "74", "76", "78", "79", "81", "82", "83",
                "84",
            ]);
            ("27", format!("{prefix}{}", digits(dice, 7)))
        }
        "uk" => ("44", format!("7{}{}", 4 + dice.below(6), digits(dice, 8))),
        "usa" => {
            let area = dice.pick(&["310", "212", "415", "617", "404", "713", "508"]);
            (
                "1",
                format!("{area}{}{}", 2 + dice.below(8), digits(dice, 6)),
            )
        }
        "botswana" => ("267", format!("7{}{}", 1 + dice.below(7), digits(dice, 6))),
        // Elsewhere, many keep their Lesotho number.
        _ => (
            "266",
            format!("{}{}", dice.pick(&["5", "6"]), digits(dice, 7)),
        ),
    }
}

/// A number as someone typed it: international with or without spaces, `00` instead of
/// `+`, or national (with `(0)` after the country code, or the national prefix alone) where
/// the volunteer is in the number's country.
fn written(dice: &mut Generator, phone: &(&'static str, String), country: &str) -> String {
    let (code, number) = (phone.0, phone.1.as_str());
    let home = matches!(
        (code, country),
        ("27", "south_africa") | ("44", "uk") | ("1", "usa") | ("267", "botswana")
    );
    let national_prefix = match code {
        "27" | "44" => "0",
        "1" => "1",
        _ => "",
    };
    let spaced = spaced(number);
    match dice.below(if home && !national_prefix.is_empty() {
        6
    } else {
        3
    }) {
        0 => format!("+{code}{number}"),
        1 => format!("+{code} {spaced}"),
        2 => format!("00{code}{number}"),
        3 => format!("+{code} (0){spaced}"),
        4 => format!("{national_prefix}{spaced}"),
        _ => format!("{national_prefix}{number}"),
    }
    .replace("+1 (0)", "+1 ")
}

/// A national number in groups: `82 123 4567`.
fn spaced(number: &str) -> String {
    let digits: Vec<char> = number.chars().collect();
    let mut out = String::new();
    let groups: &[usize] = match digits.len() {
        9 => &[2, 3, 4],
        10 => &[3, 3, 4],
        8 => &[4, 4],
        _ => &[digits.len()],
    };
    let mut at = 0;
    for (i, size) in groups.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let end = (at + size).min(digits.len());
        out.extend(&digits[at..end]);
        at = end;
    }
    out
}

fn email_for(dice: &mut Generator, given: &[&str], surname: &str) -> String {
    let ascii = |name: &str| -> String {
        name.chars()
            .filter_map(|c| match c {
                'š' | 'Š' => Some('s'),
                c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect()
    };
    let domain = dice.pick(&[
        "gmail.com",
        "yahoo.com",
        "outlook.com",
        "icloud.com",
        "webmail.co.za",
    ]);
    format!(
        "{}.{}{}@{domain}",
        ascii(given.first().copied().unwrap_or("member")),
        ascii(surname),
        dice.below(100)
    )
}

fn city_in(dice: &mut Generator, country: &str) -> &'static str {
    let cities: &[&'static str] = match country {
        "south_africa" => &[
            "Johannesburg",
            "Pretoria",
            "Soweto",
            "Durban",
            "Cape Town",
            "Bloemfontein",
            "Welkom",
            "Polokwane",
            "Germiston",
            "Vereeniging",
            "Rustenburg",
            "Kimberley",
        ],
        "uk" => &["London", "Manchester", "Birmingham", "Leeds", "Leicester"],
        "usa" => &["Houston", "Atlanta", "Boston", "Worcester", "Dallas"],
        "botswana" => &["Gaborone", "Francistown", "Maun"],
        _ => &["Windhoek", "Sydney", "Toronto", "Dublin"],
    };
    dice.pick(cities)
}

const COUNTRIES: &[(&str, u32)] = &[
    ("south_africa", 66),
    ("uk", 13),
    ("usa", 9),
    ("botswana", 7),
    ("other", 5),
];

/// How often each variation is drawn for a further registration.
const VARIATION_WEIGHTS: &[(Variation, usize)] = &[
    (Variation::NameTypo, 14),
    (Variation::SouthAfricanSpelling, 12),
    (Variation::SwappedNames, 6),
    (Variation::SecondNameAdded, 6),
    (Variation::SecondNameDropped, 6),
    (Variation::MarriedSurname, 10),
    (Variation::BirthDateTypo, 10),
    (Variation::BirthDateSwapped, 6),
    (Variation::BirthYearOnly, 6),
    (Variation::NewPhone, 14),
    (Variation::EmailCase, 5),
    (Variation::NewEmail, 8),
    (Variation::Moved, 6),
];

fn pick_variation(dice: &mut Generator) -> Variation {
    let total: usize = VARIATION_WEIGHTS.iter().map(|(_, w)| w).sum();
    let mut roll = dice.below(total);
    for (variation, weight) in VARIATION_WEIGHTS {
        if roll < *weight {
            return *variation;
        }
        roll -= weight;
    }
    Variation::NameTypo
}

/// Sesotho first names given mostly to women, in Lesotho's orthography.
#[rustfmt::skip]
const FEMALE: &[&str] = &[
    "Lineo", "Palesa", "Nthabiseng", "Lerato", "Limpho", "Puleng", "Mamello", "Keneuoe",
    "Ntsoaki", "Masechaba", "Mathabo", "Boitumelo", "Refiloe", "Lintle", "Nthati", "Rethabile",
    "Naleli", "Seipati", "Mpolokeng", "Liteboho", "Matšeliso", "Mamokete", "'Malineo",
    "Nts'ebo", "Likeleli", "Nthabeleng", "Mosele", "Masentle", "Lipuo", "Lisebo", "Mamorena",
    "Ntšiuoa", "Tlalane", "Mateboho", "Reitumetse", "Kananelo", "Litšoanelo", "Maleshoane",
    "Motselisi", "Nthatisi", "Pontšo", "Puseletso", "Tebello", "Tšepang", "Tumisang",
    "Makhotso", "Masabata", "Mamosa", "Lisemelo", "Limakatso", "Nkhethoa", "Mohlakola",
    "Khahliso", "Mathato", "Lieketseng", "Mots'elisi", "Nteboheng", "Relebohile", "Mahlompho",
    "Liepollo", "Ntebaleng", "Mamonaheng", "Khauhelo", "Lerata", "Malerato", "Mathapelo",
    "Nkeletseng", "Mpheng", "Tšeliso", "Lifuo",
];

/// Sesotho first names given mostly to men, in Lesotho's orthography.
#[rustfmt::skip]
const MALE: &[&str] = &[
    "Thabo", "Teboho", "Tumelo", "Tšepo", "Katleho", "Motlatsi", "Lehlohonolo", "Khotso",
    "Thabang", "Sello", "Bokang", "Mohau", "Kamohelo", "Tlotliso", "Moeketsi", "Mokete",
    "Nkopane", "Molefi", "Paballo", "Lefa", "Letsatsi", "Mosiuoa", "Tankiso", "Tlali", "Tšolo",
    "Monyane", "Motheo", "Mokhele", "Pule", "Rapelang", "Sechaba", "Setšabi", "Tokelo", "Tšabo",
    "Lekhotla", "Litšitso", "Mothusi", "Nyakallo", "Sefiso", "Khoabane", "Lerotholi", "Lebusa",
    "Thuso", "Ts'episo", "Moliehi", "Mofihli", "Ramahlali", "Seabata", "Tšiu", "Lebone",
    "Kabelo", "Retšelisitsoe", "Lefu", "Tšoeu", "Motšoane", "Khethang", "Lebohang", "Mokhethi",
    "Nkuebe", "Phoka", "Rets'elisitsoe", "Tlhoriso", "Lekhooa",
];

/// First names given to women and men alike.
#[rustfmt::skip]
const SHARED: &[&str] = &[
    "Mpho", "Mosa", "Retšelisitsoe", "Relebohile", "Karabo", "Lebohang", "Thato", "Neo",
    "Tšepiso", "Rorisang", "Lehlohonolo", "Boitumelo", "Tumisang",
];

/// Basotho surnames, in Lesotho's orthography.
#[rustfmt::skip]
const SURNAMES: &[&str] = &[
    "Mokoena", "Mofokeng", "Letsie", "Moshoeshoe", "Makhetha", "Ramakau", "Nkuebe", "Mohapi",
    "Molapo", "Lerotholi", "Sekhonyana", "Mokhothu", "Thamae", "Ntho", "Mothibeli", "Phakoe",
    "Mabote", "Motsamai", "Lephoto", "Mahase", "Ramokhoro", "Tau", "Khesa", "Tšosane",
    "Nthunya", "Majara", "Matete", "Seeiso", "Pitso", "Rapapa", "Letsoela", "Makara", "Hlalele",
    "Khoabane", "Mphanya", "Lebesa", "Mokhele", "Ramoholi", "Sefali", "Lekhanya", "Mosisili",
    "Thabane", "Metsing", "Mahao", "Moleleki", "Maqelepo", "Ntsekhe", "Mpharoane", "Makoae",
    "Molefe", "Nkhahle", "Rakuoane", "Sehloho", "Khaketla", "Mohale", "Lebona", "Monaheng",
    "Mothobi", "Ntlhoki", "Phori", "Ralitsie", "Sekoai", "Tlebere", "Chakela", "Chaka",
    "Mokhesi", "Mofolo", "Sebatane", "Ramatlapeng", "Mokhehle", "Khoboko", "Lepheana",
    "Makhakhe", "Masupha", "Mohlomi", "Motanyane", "Mpeli", "Ntaote", "Phafane", "Rakhoboso",
    "Ranthimo", "Sehlabaka", "Tsolo", "Khomari", "Moeletsi", "Lekhooa", "Mokhitli", "Posholi",
    "Rantšo", "Seboka", "Sekhesa", "Thokoa", "Ramoreboli", "Makhoali", "Lesenyeho", "Ramaema",
    "Qhobela", "Mokuoane", "Ratšiu", "Koali", "Likotsi", "Matšoso", "Hlasoa", "Lesia",
    "Masoabi", "Mokitimi", "Ntsohi", "Phalatsi", "Rasekoai", "Mokhachane", "Lebajoa",
    "Mohlalefi", "Tšeole", "Mafereka", "Letšela", "Ramotšabi", "Mohatle",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_register_has_its_rows_its_duplicates_and_its_hard_negatives() {
        let rows = register(4000, 5, 19);
        assert_eq!(rows.len(), 4000);
        let again = rows.iter().filter(|r| r.origin == Origin::Again).count();
        assert_eq!(again, 200);
        assert!(rows.iter().any(|r| r.origin == Origin::Twin));
        assert!(rows.iter().filter(|r| r.origin == Origin::Sibling).count() > 50);
        for row in rows.iter().filter(|r| r.origin == Origin::Again) {
            assert!(!row.variations.is_empty(), "{row:?}");
            let first = rows
                .iter()
                .find(|r| r.person == row.person && r.origin != Origin::Again)
                .expect("the person's first registration");
            assert_ne!(first, row);
        }
        assert_eq!(
            register(4000, 5, 19),
            rows,
            "the same seed, the same register"
        );
    }

    #[test]
    fn every_variation_happens() {
        let rows = register(20_000, 5, 7);
        for variation in Variation::ALL {
            assert!(
                rows.iter().any(|r| r.variations.contains(&variation)),
                "{variation:?}"
            );
        }
    }

    #[test]
    fn south_african_spelling_follows_its_rules() {
        assert_eq!(south_african_spelling("Tšepo"), "Tshepo");
        assert_eq!(south_african_spelling("Mokhothu"), "Mokgothu");
        assert_eq!(south_african_spelling("Lineo"), "Dineo");
        assert_eq!(south_african_spelling("Moeketsi"), "Mweketsi");
        assert_eq!(south_african_spelling("'Malineo"), "Madineo");
        assert_eq!(south_african_spelling("Chaka"), "Tjaka");
    }

    #[test]
    fn phones_are_written_in_every_format() {
        let mut dice = Generator::new(3);
        let phone = ("27", "821234567".to_owned());
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            seen.insert(written(&mut dice, &phone, "south_africa"));
        }
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            [
                "+27 (0)82 123 4567",
                "+27 82 123 4567",
                "+27821234567",
                "0027821234567",
                "082 123 4567",
                "0821234567",
            ]
        );
    }
}
