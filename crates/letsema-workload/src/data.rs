//! The tables the generator draws from: names, places, professions, institutions.
//!
//! Weights are relative (they need not add up to 100). Choice values must exist in the
//! reference form; [`USED_CHOICES`] lists every one the generator writes, and the catalogue
//! checks them against the form when a generator is made.

/// Every choice value the generator writes, by question. Regions are not listed: they are
/// read from the form, filtered by country.
pub(crate) const USED_CHOICES: &[(&str, &[&str])] = &[
    ("consent", &["yes", "no"]),
    (
        "association",
        &[
            "basotho_sa",
            "lesotho_health_abroad",
            "basotho_uk",
            "basotho_usa",
            "none",
        ],
    ),
    ("sex", &["female", "male", "not_said"]),
    (
        "country",
        &["south_africa", "uk", "usa", "botswana", "other"],
    ),
    (
        "citizenships",
        &["lesotho", "south_africa", "uk", "usa", "botswana", "other"],
    ),
    (
        "profession",
        &[
            "doctor",
            "nurse",
            "midwife",
            "pharmacist",
            "teacher",
            "engineer",
            "other",
        ],
    ),
    (
        "highest_qualification",
        &[
            "certificate",
            "diploma",
            "bachelors",
            "honours",
            "masters",
            "doctorate",
        ],
    ),
    ("council_registered", &["yes", "no"]),
    (
        "employment",
        &[
            "employed_full",
            "employed_part",
            "self_employed",
            "not_employed",
            "student",
            "retired",
        ],
    ),
    (
        "sector",
        &["public", "private", "ngo", "academic", "international"],
    ),
    (
        "languages",
        &[
            "sesotho",
            "english",
            "afrikaans",
            "isizulu",
            "isixhosa",
            "setswana",
            "other",
        ],
    ),
    (
        "engagement",
        &[
            "skills_transfer",
            "short_term",
            "mentoring",
            "telemedicine",
            "investment",
            "remittances",
            "diaspora_tourism",
            "return",
        ],
    ),
];

/// Every question the generator answers, with whether it sits in the `qualifications`
/// repeat.
pub(crate) const USED_QUESTIONS: &[&str] = &[
    "consent",
    "association",
    "first_name",
    "surname",
    "sex",
    "dob",
    "country",
    "country_other",
    "region",
    "city",
    "years_abroad",
    "citizenships",
    "profession",
    "profession_other",
    "specialisation",
    "highest_qualification",
    "council_registered",
    "council_details",
    "employment",
    "sector",
    "languages",
    "phone",
    "email",
    "engagement",
    "months_available",
    "degree",
    "institution",
    "year",
    "comments",
];

/// Sesotho first names given mostly to women.
pub(crate) const FEMALE_NAMES: &[&str] = &[
    "Lineo",
    "Palesa",
    "Nthabiseng",
    "Lerato",
    "Limpho",
    "Puleng",
    "Mamello",
    "Keneuoe",
    "Ntsoaki",
    "Masechaba",
    "Mathabo",
    "Boitumelo",
    "Refiloe",
    "Lintle",
    "Nthati",
    "Rethabile",
    "Naleli",
    "Seipati",
    "Mpolokeng",
    "Liteboho",
    "Matšeliso",
    "Mamokete",
    "'Malineo",
    "Nts'ebo",
];

/// Sesotho first names given mostly to men.
pub(crate) const MALE_NAMES: &[&str] = &[
    "Thabo",
    "Teboho",
    "Tumelo",
    "Tšepo",
    "Katleho",
    "Motlatsi",
    "Lehlohonolo",
    "Khotso",
    "Thabang",
    "Sello",
    "Bokang",
    "Mohau",
    "Kamohelo",
    "Tlotliso",
    "Moeketsi",
    "Mokete",
    "Nkopane",
    "Molefi",
    "Tšeliso",
    "Paballo",
];

/// Sesotho first names given to women and men alike.
pub(crate) const SHARED_NAMES: &[&str] = &[
    "Mpho",
    "Mosa",
    "Retšelisitsoe",
    "Relebohile",
    "Karabo",
    "Lebohang",
    "Thato",
    "Neo",
    "Tšepiso",
    "Rorisang",
];

/// Basotho surnames.
pub(crate) const SURNAMES: &[&str] = &[
    "Mokoena",
    "Mofokeng",
    "Letsie",
    "Moshoeshoe",
    "Makhetha",
    "Ramakau",
    "Nkuebe",
    "Mohapi",
    "Molapo",
    "Lerotholi",
    "Sekhonyana",
    "Mokhothu",
    "Thamae",
    "Ntho",
    "Mothibeli",
    "Phakoe",
    "Mabote",
    "Motsamai",
    "Lephoto",
    "Mahase",
    "Ramokhoro",
    "Tau",
    "Khesa",
    "Tšosane",
    "Nthunya",
    "Majara",
    "Matete",
    "Seeiso",
    "Pitso",
    "Rapapa",
    "Letsoela",
    "Makara",
    "Hlalele",
    "Khoabane",
    "Mphanya",
    "Lebesa",
];

/// Countries of residence: where Basotho abroad mostly live.
pub(crate) const COUNTRY_WEIGHTS: &[(&str, u32)] = &[
    ("south_africa", 62),
    ("uk", 13),
    ("usa", 9),
    ("botswana", 7),
    ("other", 9),
];

/// Regions' weights within their country; a region not listed weighs 1.
pub(crate) const REGION_WEIGHTS: &[(&str, u32)] = &[
    ("gauteng", 40),
    ("free_state", 24),
    ("western_cape", 10),
    ("kwazulu_natal", 6),
    ("north_west", 6),
    ("eastern_cape", 5),
    ("mpumalanga", 3),
    ("limpopo", 3),
    ("northern_cape", 3),
    ("england", 85),
    ("scotland", 8),
    ("wales", 5),
    ("northern_ireland", 2),
    ("maryland", 5),
    ("texas", 5),
    ("georgia", 4),
    ("new_york", 4),
    ("massachusetts", 3),
    ("california", 3),
    ("south_east", 40),
    ("north_east", 12),
    ("central", 12),
    ("kweneng", 10),
    ("southern", 8),
    ("north_west_bw", 6),
    ("kgatleng", 5),
    ("chobe", 3),
    ("ghanzi", 2),
    ("kgalagadi", 2),
];

/// Cities and towns by region (at least two each, so an edit can always move a member).
pub(crate) const CITIES: &[(&str, &[&str])] = &[
    (
        "eastern_cape",
        &["Gqeberha", "East London", "Mthatha", "Makhanda"],
    ),
    (
        "free_state",
        &[
            "Bloemfontein",
            "Welkom",
            "Bethlehem",
            "Ladybrand",
            "Botshabelo",
            "Thaba Nchu",
            "Phuthaditjhaba",
            "Ficksburg",
        ],
    ),
    (
        "gauteng",
        &[
            "Johannesburg",
            "Pretoria",
            "Soweto",
            "Germiston",
            "Vereeniging",
            "Benoni",
            "Tembisa",
            "Midrand",
        ],
    ),
    (
        "kwazulu_natal",
        &["Durban", "Pietermaritzburg", "Newcastle"],
    ),
    ("limpopo", &["Polokwane", "Thohoyandou", "Tzaneen"]),
    ("mpumalanga", &["Mbombela", "eMalahleni", "Secunda"]),
    ("northern_cape", &["Kimberley", "Upington"]),
    (
        "north_west",
        &["Rustenburg", "Mahikeng", "Klerksdorp", "Potchefstroom"],
    ),
    (
        "western_cape",
        &["Cape Town", "Stellenbosch", "George", "Paarl"],
    ),
    (
        "england",
        &[
            "London",
            "Manchester",
            "Birmingham",
            "Leeds",
            "Leicester",
            "Bristol",
            "Nottingham",
            "Reading",
            "Luton",
        ],
    ),
    ("scotland", &["Glasgow", "Edinburgh", "Aberdeen", "Dundee"]),
    ("wales", &["Cardiff", "Swansea", "Newport"]),
    ("northern_ireland", &["Belfast", "Derry"]),
    (
        "california",
        &["Los Angeles", "San Diego", "Oakland", "Sacramento"],
    ),
    ("georgia", &["Atlanta", "Savannah", "Decatur"]),
    ("maryland", &["Baltimore", "Silver Spring", "Bethesda"]),
    ("massachusetts", &["Boston", "Worcester", "Lowell"]),
    ("new_york", &["New York", "Buffalo", "Rochester", "Albany"]),
    ("texas", &["Houston", "Dallas", "Austin", "San Antonio"]),
    (
        "central",
        &["Serowe", "Palapye", "Mahalapye", "Selebi-Phikwe"],
    ),
    ("chobe", &["Kasane", "Kazungula"]),
    ("ghanzi", &["Ghanzi", "D'Kar"]),
    ("kgalagadi", &["Tsabong", "Hukuntsi"]),
    ("kgatleng", &["Mochudi", "Oodi"]),
    ("kweneng", &["Molepolole", "Mogoditshane", "Thamaga"]),
    ("north_east", &["Francistown", "Masunga"]),
    ("north_west_bw", &["Maun", "Shakawe"]),
    ("south_east", &["Gaborone", "Ramotswa", "Tlokweng"]),
    ("southern", &["Kanye", "Jwaneng", "Lobatse"]),
];

/// Cities by country, for a region the tables do not know (a newer form's).
pub(crate) const COUNTRY_CITIES: &[(&str, &[&str])] = &[
    (
        "south_africa",
        &["Johannesburg", "Bloemfontein", "Cape Town"],
    ),
    ("uk", &["London", "Manchester", "Glasgow"]),
    ("usa", &["New York", "Houston", "Baltimore"]),
    ("botswana", &["Gaborone", "Francistown", "Maun"]),
];

/// A country of residence outside the form's list ("other").
#[derive(Debug, Clone, Copy)]
pub(crate) struct OtherCountry {
    /// The name as a member would write it.
    pub name: &'static str,
    /// How common it is.
    pub weight: u32,
    /// The international dialling code, without `+`.
    pub code: &'static str,
    /// The first digits of a mobile number, after the code.
    pub mobile: &'static [&'static str],
    /// How many digits follow those first digits.
    pub rest: usize,
    /// Cities.
    pub cities: &'static [&'static str],
}

/// Countries of residence outside the form's list.
pub(crate) const OTHER_COUNTRIES: &[OtherCountry] = &[
    OtherCountry {
        name: "Australia",
        weight: 20,
        code: "61",
        mobile: &["4"],
        rest: 8,
        cities: &["Sydney", "Melbourne", "Perth", "Brisbane", "Adelaide"],
    },
    OtherCountry {
        name: "Canada",
        weight: 15,
        code: "1",
        mobile: &["416", "647", "403", "613", "604"],
        rest: 7,
        cities: &["Toronto", "Calgary", "Ottawa", "Vancouver"],
    },
    OtherCountry {
        name: "Ireland",
        weight: 12,
        code: "353",
        mobile: &["83", "85", "86", "87", "89"],
        rest: 7,
        cities: &["Dublin", "Cork", "Galway", "Limerick"],
    },
    OtherCountry {
        name: "Namibia",
        weight: 10,
        code: "264",
        mobile: &["81", "85"],
        rest: 7,
        cities: &["Windhoek", "Walvis Bay", "Oshakati"],
    },
    OtherCountry {
        name: "Eswatini",
        weight: 10,
        code: "268",
        mobile: &["76", "78", "79"],
        rest: 6,
        cities: &["Mbabane", "Manzini", "Matsapha"],
    },
    OtherCountry {
        name: "New Zealand",
        weight: 8,
        code: "64",
        mobile: &["21", "22", "27"],
        rest: 7,
        cities: &["Auckland", "Wellington", "Christchurch"],
    },
    OtherCountry {
        name: "United Arab Emirates",
        weight: 8,
        code: "971",
        mobile: &["50", "52", "55", "56"],
        rest: 7,
        cities: &["Dubai", "Abu Dhabi", "Sharjah"],
    },
    OtherCountry {
        name: "Germany",
        weight: 5,
        code: "49",
        mobile: &["151", "160", "171", "176"],
        rest: 8,
        cities: &["Berlin", "Hamburg", "Munich", "Frankfurt"],
    },
    OtherCountry {
        name: "Zambia",
        weight: 4,
        code: "260",
        mobile: &["95", "96", "97"],
        rest: 7,
        cities: &["Lusaka", "Kitwe", "Ndola"],
    },
    OtherCountry {
        name: "Mozambique",
        weight: 4,
        code: "258",
        mobile: &["82", "84", "86"],
        rest: 7,
        cities: &["Maputo", "Matola", "Beira"],
    },
    OtherCountry {
        name: "Saudi Arabia",
        weight: 4,
        code: "966",
        mobile: &["50", "53", "55"],
        rest: 7,
        cities: &["Riyadh", "Jeddah", "Dammam"],
    },
];

/// Professions: the programme looks for the health diaspora first.
pub(crate) const PROFESSION_WEIGHTS: &[(&str, u32)] = &[
    ("nurse", 28),
    ("doctor", 14),
    ("midwife", 9),
    ("pharmacist", 7),
    ("teacher", 16),
    ("engineer", 10),
    ("other", 16),
];

/// What members write for "other" professions.
pub(crate) const OTHER_PROFESSIONS: &[&str] = &[
    "Accountant",
    "Social worker",
    "Software developer",
    "Medical laboratory scientist",
    "Physiotherapist",
    "Radiographer",
    "Environmental health officer",
    "Mine surveyor",
    "Lawyer",
    "Economist",
    "Electrician",
    "Chef",
    "Community health worker",
    "Dentist",
    "Occupational therapist",
    "Agronomist",
];

/// Specialisations by health profession.
pub(crate) const SPECIALISATIONS: &[(&str, &[&str])] = &[
    (
        "doctor",
        &[
            "Paediatrics",
            "Internal medicine",
            "General surgery",
            "Obstetrics and gynaecology",
            "Family medicine",
            "Anaesthesiology",
            "Psychiatry",
            "Emergency medicine",
            "Radiology",
            "Public health medicine",
            "Ophthalmology",
            "Orthopaedics",
            "HIV and TB medicine",
        ],
    ),
    (
        "nurse",
        &[
            "Theatre nursing",
            "Intensive care nursing",
            "Paediatric nursing",
            "Psychiatric nursing",
            "Primary health care",
            "Oncology nursing",
            "Community health nursing",
            "Emergency nursing",
            "Nephrology nursing",
        ],
    ),
    (
        "midwife",
        &[
            "Advanced midwifery",
            "Neonatal care",
            "Community midwifery",
            "Labour ward",
        ],
    ),
    (
        "pharmacist",
        &[
            "Clinical pharmacy",
            "Hospital pharmacy",
            "Community pharmacy",
            "Pharmaceutical regulation",
            "HIV and TB pharmacotherapy",
        ],
    ),
];

/// Highest qualifications by profession.
pub(crate) const QUALIFICATION_WEIGHTS: &[(&str, &[(&str, u32)])] = &[
    (
        "doctor",
        &[
            ("bachelors", 45),
            ("honours", 5),
            ("masters", 35),
            ("doctorate", 15),
        ],
    ),
    (
        "nurse",
        &[
            ("certificate", 5),
            ("diploma", 40),
            ("bachelors", 35),
            ("honours", 10),
            ("masters", 10),
        ],
    ),
    (
        "midwife",
        &[
            ("certificate", 5),
            ("diploma", 45),
            ("bachelors", 30),
            ("honours", 10),
            ("masters", 10),
        ],
    ),
    (
        "pharmacist",
        &[
            ("bachelors", 60),
            ("honours", 10),
            ("masters", 25),
            ("doctorate", 5),
        ],
    ),
    (
        "teacher",
        &[
            ("certificate", 10),
            ("diploma", 35),
            ("bachelors", 35),
            ("honours", 10),
            ("masters", 10),
        ],
    ),
    (
        "engineer",
        &[
            ("diploma", 20),
            ("bachelors", 50),
            ("honours", 10),
            ("masters", 17),
            ("doctorate", 3),
        ],
    ),
    (
        "other",
        &[
            ("certificate", 25),
            ("diploma", 30),
            ("bachelors", 25),
            ("honours", 7),
            ("masters", 10),
            ("doctorate", 3),
        ],
    ),
];

/// The levels of `highest_qualification`, lowest first.
pub(crate) const LEVELS: &[&str] = &[
    "certificate",
    "diploma",
    "bachelors",
    "honours",
    "masters",
    "doctorate",
];

/// Degrees, diplomas and certificates by profession, each with the level of
/// `highest_qualification` it stands for, lowest first.
pub(crate) const DEGREES: &[(&str, &[(&str, &str)])] = &[
    (
        "doctor",
        &[
            ("MBChB", "bachelors"),
            ("Postgraduate Diploma in HIV Management", "honours"),
            ("Diploma in Tropical Medicine and Hygiene", "honours"),
            ("MMed", "masters"),
            ("Master of Public Health", "masters"),
            ("PhD", "doctorate"),
        ],
    ),
    (
        "nurse",
        &[
            ("Certificate in Nursing Assistance", "certificate"),
            ("Diploma in General Nursing", "diploma"),
            ("Diploma in Midwifery", "diploma"),
            ("BSc Nursing", "bachelors"),
            ("Postgraduate Diploma in Critical Care Nursing", "honours"),
            ("MSc Nursing", "masters"),
        ],
    ),
    (
        "midwife",
        &[
            ("Certificate in Community Health", "certificate"),
            ("Diploma in General Nursing", "diploma"),
            ("Diploma in Midwifery", "diploma"),
            ("BSc Midwifery", "bachelors"),
            ("Postgraduate Diploma in Advanced Midwifery", "honours"),
            ("MSc Midwifery", "masters"),
        ],
    ),
    (
        "pharmacist",
        &[
            ("Diploma in Pharmacy Technology", "diploma"),
            ("BPharm", "bachelors"),
            ("Postgraduate Diploma in Clinical Pharmacy", "honours"),
            ("MPharm", "masters"),
            ("PhD in Pharmacology", "doctorate"),
        ],
    ),
    (
        "teacher",
        &[
            ("Certificate in Early Childhood Education", "certificate"),
            ("Diploma in Education", "diploma"),
            ("BEd", "bachelors"),
            ("BA", "bachelors"),
            ("PGCE", "honours"),
            ("BEd Honours", "honours"),
            ("MEd", "masters"),
            ("PhD in Education", "doctorate"),
        ],
    ),
    (
        "engineer",
        &[
            ("Certificate in Project Management", "certificate"),
            ("National Diploma in Mechanical Engineering", "diploma"),
            ("BEng Civil Engineering", "bachelors"),
            ("BSc Electrical Engineering", "bachelors"),
            ("BSc Honours in Mining Engineering", "honours"),
            ("MEng", "masters"),
            ("PhD in Engineering", "doctorate"),
        ],
    ),
    (
        "other",
        &[
            ("Certificate in Computer Studies", "certificate"),
            ("Certificate in Bookkeeping", "certificate"),
            ("Diploma in Information Technology", "diploma"),
            ("Diploma in Agriculture", "diploma"),
            ("BCom Accounting", "bachelors"),
            ("BA Social Work", "bachelors"),
            ("LLB", "bachelors"),
            ("BSc Computer Science", "bachelors"),
            ("BCom Honours", "honours"),
            ("MBA", "masters"),
            ("PhD", "doctorate"),
        ],
    ),
];

/// Where Basotho study at home, by profession (Lesotho has no medical school).
pub(crate) const LESOTHO_INSTITUTIONS: &[(&str, &[&str])] = &[
    (
        "nurse",
        &[
            "National Health Training College",
            "Scott College of Nursing",
            "Paray School of Nursing",
            "Roma College of Nursing",
            "Maluti Adventist College",
            "National University of Lesotho",
        ],
    ),
    (
        "midwife",
        &[
            "National Health Training College",
            "Scott College of Nursing",
            "Paray School of Nursing",
            "Maluti Adventist College",
        ],
    ),
    (
        "pharmacist",
        &[
            "National University of Lesotho",
            "National Health Training College",
        ],
    ),
    (
        "teacher",
        &[
            "Lesotho College of Education",
            "National University of Lesotho",
        ],
    ),
    (
        "engineer",
        &["Lerotholi Polytechnic", "National University of Lesotho"],
    ),
    (
        "other",
        &[
            "National University of Lesotho",
            "Limkokwing University, Maseru",
            "Lerotholi Polytechnic",
            "Centre for Accounting Studies",
        ],
    ),
];

/// Where Basotho study abroad, by country.
pub(crate) const INSTITUTIONS: &[(&str, &[&str])] = &[
    (
        "south_africa",
        &[
            "University of the Free State",
            "University of the Witwatersrand",
            "University of Cape Town",
            "University of KwaZulu-Natal",
            "University of Pretoria",
            "Sefako Makgatho Health Sciences University",
            "Central University of Technology",
            "University of Johannesburg",
            "UNISA",
        ],
    ),
    (
        "uk",
        &[
            "King's College London",
            "University of Manchester",
            "University of Edinburgh",
            "London School of Hygiene & Tropical Medicine",
            "Open University",
        ],
    ),
    (
        "usa",
        &[
            "Johns Hopkins University",
            "University of Maryland",
            "Emory University",
            "University of Houston",
        ],
    ),
    (
        "botswana",
        &[
            "University of Botswana",
            "Botswana International University of Science and Technology",
        ],
    ),
];

/// Comments members leave.
pub(crate) const COMMENTS: &[&str] = &[
    "Please contact me on WhatsApp rather than by phone.",
    "I could teach at the National Health Training College in December.",
    "Interested in telemedicine for the clinics in Mokhotlong and Thaba-Tseka.",
    "My registration with the council at home has lapsed; I would like to renew it.",
    "Available for a short assignment after my contract ends in March.",
    "I would like to invest in a pharmacy in Maseru.",
    "Ke ikemiselitse ho thusa sechaba sa heso.",
    "I mentor junior colleagues already and would gladly mentor in Lesotho too.",
    "Please send information in Sesotho.",
    "Can the programme help with recognising my foreign qualifications at home?",
    "I visit Leribe every Easter and could help then.",
    "Re a leboha ka lenaneo lena.",
    "My spouse would also like to register.",
    "I can help with equipment donations from my employer.",
];

/// E-mail providers by country of residence; any country may also use the common ones.
pub(crate) const MAIL_COMMON: &[&str] = &["gmail.com", "yahoo.com", "outlook.com", "icloud.com"];

/// E-mail providers used mostly in one country.
pub(crate) const MAIL_LOCAL: &[(&str, &[&str])] = &[
    (
        "south_africa",
        &["webmail.co.za", "mweb.co.za", "vodamail.co.za"],
    ),
    ("uk", &["btinternet.com", "hotmail.co.uk", "nhs.net"]),
    ("usa", &["aol.com", "hotmail.com"]),
    ("botswana", &["btc.bw", "yahoo.co.uk"]),
];

/// The registering council a member names, by country and profession. `#` stands for a
/// digit, `^` for a capital letter.
pub(crate) const COUNCILS: &[(&str, &str, &str)] = &[
    ("south_africa", "doctor", "HPCSA, MP0######"),
    ("south_africa", "nurse", "SANC, 1#######"),
    ("south_africa", "midwife", "SANC, 1#######"),
    ("south_africa", "pharmacist", "SAPC, PS0######"),
    ("south_africa", "teacher", "SACE, ########"),
    ("south_africa", "engineer", "ECSA, 20######"),
    ("uk", "doctor", "GMC, 7######"),
    ("uk", "nurse", "NMC, ##^####E"),
    ("uk", "midwife", "NMC, ##^####E"),
    ("uk", "pharmacist", "GPhC, 20#####"),
    ("uk", "teacher", "Teacher reference number ###/####"),
    ("uk", "engineer", "Engineering Council, ######"),
    ("usa", "doctor", "State Board of Physicians, D#####"),
    ("usa", "nurse", "State Board of Nursing, RN#######"),
    (
        "usa",
        "midwife",
        "American Midwifery Certification Board, ######",
    ),
    ("usa", "pharmacist", "State Board of Pharmacy, RPH#####"),
    ("usa", "teacher", "State teaching licence ########"),
    ("usa", "engineer", "PE licence ######"),
    (
        "botswana",
        "doctor",
        "Botswana Health Professions Council, BHPC/M/####",
    ),
    (
        "botswana",
        "nurse",
        "Nursing and Midwifery Council of Botswana, ######",
    ),
    (
        "botswana",
        "midwife",
        "Nursing and Midwifery Council of Botswana, ######",
    ),
    (
        "botswana",
        "pharmacist",
        "Botswana Health Professions Council, BHPC/P/####",
    ),
    ("botswana", "teacher", "Teaching Service Management, ######"),
    (
        "botswana",
        "engineer",
        "Engineers Registration Board, ERB####",
    ),
    (
        "lesotho",
        "doctor",
        "Lesotho Medical, Dental and Pharmacy Council, ####",
    ),
    ("lesotho", "nurse", "Lesotho Nursing Council, LNC####"),
    ("lesotho", "midwife", "Lesotho Nursing Council, LNC####"),
    (
        "lesotho",
        "pharmacist",
        "Lesotho Medical, Dental and Pharmacy Council, P####",
    ),
    (
        "lesotho",
        "teacher",
        "Teaching Service Commission, TSC#####",
    ),
    ("lesotho", "engineer", "Lesotho Institute of Engineers, ###"),
];

/// Months a year available for short-term assignments (1 to 12, as the form requires).
pub(crate) const MONTHS: &[(&str, u32)] = &[
    ("1", 30),
    ("2", 25),
    ("3", 18),
    ("4", 7),
    ("6", 12),
    ("12", 3),
];
