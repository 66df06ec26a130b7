//! Two versions of a small registration form (markdown XLSForm), published beside the
//! reference form under its id: what exports and imports are tested with.

/// Version 1 of a small registration form: a name, an age, a consent and a repeat of
/// children.
pub const VERSION_1: &str = "
| survey |
|        | type              | name       | label          |
|        | text              | full_name  | Name           |
|        | integer           | age        | Age            |
|        | select_one yes_no | consent    | Consent        |
|        | begin repeat      | children   | Children       |
|        | text              | child_name | Child's name   |
|        | integer           | child_age  | Child's age    |
|        | end repeat        |            |                |
| choices |
|         | list_name | name | label |
|         | yes_no    | yes  | Yes   |
|         | yes_no    | no   | No    |
| settings |
|          | form_id               | version | form_title   |
|          | diaspora_registration | test-1  | Registration |
";

/// Version 2: `age` gone; a height, a birth date and the languages spoken added.
pub const VERSION_2: &str = "
| survey |
|        | type                   | name       | label          |
|        | text                   | full_name  | Name           |
|        | decimal                | height     | Height         |
|        | date                   | birth_date | Born           |
|        | select_one yes_no      | consent    | Consent        |
|        | select_multiple langs  | languages  | Languages      |
|        | begin repeat           | children   | Children       |
|        | text                   | child_name | Child's name   |
|        | integer                | child_age  | Child's age    |
|        | end repeat             |            |                |
| choices |
|         | list_name | name | label   |
|         | yes_no    | yes  | Yes     |
|         | yes_no    | no   | No      |
|         | langs     | st   | Sesotho |
|         | langs     | en   | English |
| settings |
|          | form_id               | version | form_title   |
|          | diaspora_registration | test-2  | Registration |
";
