//! The pyxform corpus, field by field: for every form whose XForm pyxform 4.5.0 produced is
//! in the corpus (`pyxform/expected/*.xml`), each field's `relevant`, `constraint`,
//! `calculation` and `required` are the ones pyxform binds, once references are normalised.
//!
//! pyxform writes `${name}` as an absolute path (`/data/group/name`) or, inside repeats and
//! for "specify other" fields, as a relative one (`../name`, `current()/../name`). Both
//! sides are parsed with `letsema_expr::parse`, every path that leads to a node of pyxform's
//! instance is turned back into `${name}`, and the canonical `Display` of the trees is
//! compared, so that spaces and parentheses do not matter.
//!
//! What pyxform adds that our model does not have (metadata, "specify other" texts, the
//! generated count of a repeat, the label rows of table lists) is listed in
//! [`pyxform_addition`] with what it is checked against; a real difference that is known
//! is in [`EXPECTED_DEVIATIONS`]. Anything else that differs fails the test, every
//! difference listed at once.
//!
//! The corpus is not copied into the project: it is read from the folder named by
//! `LETSEMA_XLSFORM_CORPUS`, by default `../shared/fixtures/xlsform` beside the project.

mod corpus;

use corpus::corpus;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use letsema_expr::{Expr, PathStart, Reference, StepTest};
use letsema_form::model::{Expression, Form, Item};
use letsema_xlsform::import_file;

/// The attributes compared: pyxform's bind attribute and our model's name for it.
const ATTRIBUTES: [(&str, &str); 4] = [
    ("relevant", "relevant"),
    ("constraint", "constraint"),
    ("calculate", "calculation"),
    ("required", "required"),
];

/// Forms whose settings sheet says `flat = 1`: an old pyxform setting that leaves groups
/// out of the instance (every field sits directly under the root, a group has no bind) and
/// copies a group's `relevant` onto each field inside it. Our model has no such setting and
/// keeps the groups, which changes the layout of a submission but not what is asked when:
/// for these forms a field is matched by its path without its groups, and pyxform's
/// `relevant` is compared with the conjunction of the groups' `relevant` and the field's own.
const FLAT_FORMS: &[&str] = &["flat_xlsform_test"];

/// A known difference between our import and pyxform's XForm, in canonical form.
struct Deviation {
    /// The source file.
    file: &'static str,
    /// The field's path in our form (`/group/name`).
    path: &'static str,
    /// Our model's attribute name.
    attribute: &'static str,
    /// Ours, canonical.
    ours: Option<&'static str>,
    /// pyxform's, canonical.
    pyxform: Option<&'static str>,
}

/// Known differences, each with a comment saying who is right (`FIXME: ...` when it is an
/// importer bug left for its owner). Empty: the importer agrees with pyxform on every field
/// of the corpus. An entry that no longer matches a difference fails the test, so that it
/// is removed once fixed.
const EXPECTED_DEVIATIONS: &[Deviation] = &[];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AdditionKind {
    /// `meta` and `meta/instanceID`: the submission's id, which pyxform adds to every form
    /// (`jr:preload="uid"`) and our submissions carry outside the form's fields.
    Metadata,
    /// `meta/instanceName`: the settings' `instance_name`, compared with
    /// [`Form::instance_name`].
    InstanceName,
    /// `NAME_count` beside a repeat `NAME` whose `repeat_count` is not a reference: pyxform
    /// adds a calculate holding the count; we keep it as the repeat's `repeat_count`,
    /// compared with its `calculate`.
    RepeatCount,
    /// `generated_table_list_label_ROW` and `reserved_name_for_field_list_labels_ROW`: the
    /// label rows pyxform adds to a `table-list` group, presentation only, with no answer.
    /// They may carry no expression but the `relevant` a flat form copies from their group.
    TableListLabel,
}

/// What a node of pyxform's instance that our form does not have is, if it is one of the
/// things pyxform adds (see [`AdditionKind`]).
fn pyxform_addition(node: &[String], ours: &Ours<'_>) -> Option<AdditionKind> {
    let (name, parent) = node.split_last()?;
    match (parent, name.as_str()) {
        ([], "meta") => return Some(AdditionKind::Metadata),
        ([meta], "instanceID") if meta == "meta" => return Some(AdditionKind::Metadata),
        ([meta], "instanceName") if meta == "meta" => return Some(AdditionKind::InstanceName),
        _ => {}
    }
    let sibling = |suffix: &str| {
        let stem = name.strip_suffix(suffix)?;
        let mut path = parent.to_vec();
        path.push(stem.to_owned());
        ours.by_pyxform.get(&path).map(|field| field.item)
    };
    if let Some(Item::Repeat(repeat)) = sibling("_count")
        && repeat.repeat_count.is_some()
    {
        return Some(AdditionKind::RepeatCount);
    }
    let generated = [
        "generated_table_list_label_",
        "reserved_name_for_field_list_labels_",
    ];
    if generated.iter().any(|prefix| {
        name.strip_prefix(prefix)
            .is_some_and(|row| !row.is_empty() && row.bytes().all(|b| b.is_ascii_digit()))
    }) {
        return Some(AdditionKind::TableListLabel);
    }
    None
}

/// What pyxform's XForm says: the primary instance's nodes and their binds.
struct XForm {
    /// The instance's root element (the file's stem, for pyxform).
    root: String,
    /// Every node under the root, as names below it, in document order, once each (a
    /// repeat's template and its first instance give the same paths).
    nodes: Vec<Vec<String>>,
    /// The compared attributes of each bind, by node.
    binds: BTreeMap<Vec<String>, BTreeMap<&'static str, String>>,
}

impl XForm {
    fn parse(path: &Path, problems: &mut Vec<String>) -> Option<XForm> {
        let file = path.display();
        let text = std::fs::read_to_string(path).expect("an expected XForm is readable");
        let document = match roxmltree::Document::parse(&text) {
            Ok(document) => document,
            Err(error) => {
                problems.push(format!("{file}: not well-formed XML: {error}"));
                return None;
            }
        };
        let Some(model) = document
            .descendants()
            .find(|node| node.has_tag_name("model"))
        else {
            problems.push(format!("{file}: no <model>"));
            return None;
        };
        let Some(root) = model
            .children()
            .find(|node| node.has_tag_name("instance") && node.attribute("id").is_none())
            .and_then(|instance| instance.children().find(roxmltree::Node::is_element))
        else {
            problems.push(format!("{file}: no primary <instance> with a root element"));
            return None;
        };
        let mut nodes = Vec::new();
        collect_nodes(root, &mut Vec::new(), &mut nodes);
        let root = root.tag_name().name().to_owned();
        let prefix = format!("/{root}/");
        let mut binds = BTreeMap::new();
        for bind in model.children().filter(|node| node.has_tag_name("bind")) {
            let nodeset = bind.attribute("nodeset").unwrap_or_default();
            let Some(below) = nodeset.strip_prefix(&prefix) else {
                problems.push(format!(
                    "{file}: a bind's nodeset `{nodeset}` is not under {prefix}"
                ));
                continue;
            };
            let node: Vec<String> = below.split('/').map(str::to_owned).collect();
            if !nodes.contains(&node) {
                problems.push(format!(
                    "{file}: the bind `{nodeset}` is for no node of the instance"
                ));
            }
            let attributes = ATTRIBUTES
                .iter()
                .filter_map(|(attribute, _)| {
                    bind.attribute(*attribute)
                        .map(|value| (*attribute, value.to_owned()))
                })
                .collect();
            binds.insert(node, attributes);
        }
        Some(XForm { root, nodes, binds })
    }

    fn attribute(&self, node: &[String], attribute: &str) -> Option<&str> {
        self.binds.get(node)?.get(attribute).map(String::as_str)
    }
}

fn collect_nodes(
    parent: roxmltree::Node<'_, '_>,
    at: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) {
    for child in parent.children().filter(roxmltree::Node::is_element) {
        at.push(child.tag_name().name().to_owned());
        if !out.contains(at) {
            out.push(at.clone());
        }
        collect_nodes(child, at, out);
        at.pop();
    }
}

/// An item of our form, where pyxform's instance has it.
#[derive(Clone)]
struct OurField<'a> {
    /// The path in our form, as `FieldPath` prints it.
    path: String,
    item: &'a Item,
    /// The `relevant`s of the flattened groups around the item, outermost first (empty
    /// unless the form is flat).
    inherited: Vec<&'a Expression>,
}

/// Our form's items, by the node pyxform's instance has them at.
struct Ours<'a> {
    by_pyxform: BTreeMap<Vec<String>, OurField<'a>>,
}

impl<'a> Ours<'a> {
    fn new(form: &'a Form, flat: bool) -> Self {
        let items: BTreeMap<Vec<String>, &Item> = form
            .items_depth_first()
            .map(|(path, item)| (names(path.names()), item))
            .collect();
        let mut by_pyxform = BTreeMap::new();
        for (path, item) in form.items_depth_first() {
            let names = names(path.names());
            let is_flattened =
                |depth: usize| flat && matches!(items.get(&names[..depth]), Some(Item::Group(_)));
            if is_flattened(names.len()) {
                // Left out of pyxform's instance: its `relevant` is compared on every
                // field inside it.
                continue;
            }
            let mut pyxform = Vec::new();
            let mut inherited = Vec::new();
            for depth in 1..names.len() {
                if is_flattened(depth) {
                    inherited.extend(items[&names[..depth]].relevant());
                } else {
                    pyxform.push(names[depth - 1].clone());
                }
            }
            pyxform.push(names[names.len() - 1].clone());
            let field = OurField {
                path: path.to_string(),
                item,
                inherited,
            };
            by_pyxform.insert(pyxform, field);
        }
        Ours { by_pyxform }
    }
}

fn names(names: &[letsema_form::model::FieldName]) -> Vec<String> {
    names.iter().map(|name| name.as_str().to_owned()).collect()
}

/// An expression in canonical form, with every path to a node of pyxform's instance turned
/// into `${name}`; `here` is the node the expression is bound to (what `.`, `..` and
/// `current()` start from).
fn canonical(source: &str, here: &[String], xform: &XForm) -> Result<String, String> {
    let mut expr = letsema_expr::parse(source)
        .map_err(|error| format!("`{source}` does not parse: {}", error.message))?;
    to_references(&mut expr, here, xform);
    Ok(expr.to_string())
}

fn to_references(expr: &mut Expr, here: &[String], xform: &XForm) {
    if let Expr::Path(path) = expr
        && let Some(name) = resolve(path, here, xform)
    {
        *expr = Expr::Ref(Reference { name, span: 0..0 });
        return;
    }
    let mut recurse = |e: &mut Expr| to_references(e, here, xform);
    match expr {
        Expr::Number(_) | Expr::Literal(_) | Expr::Ref(_) => {}
        Expr::Path(path) => {
            if let PathStart::Expr(start) = &mut path.start {
                recurse(start);
            }
            for step in &mut path.steps {
                step.predicates.iter_mut().for_each(&mut recurse);
            }
        }
        Expr::Call(call) => call.args.iter_mut().for_each(recurse),
        Expr::Binary { lhs, rhs, .. } => {
            recurse(lhs);
            recurse(rhs);
        }
        Expr::Negate(operand) => recurse(operand),
        Expr::Filter { base, predicates } => {
            recurse(base);
            predicates.iter_mut().for_each(recurse);
        }
    }
}

/// The name of the node a path leads to, when it is `/root/…`, `../…` or `current()/…`
/// without predicates and leads to a node of the instance.
fn resolve(path: &letsema_expr::Path, here: &[String], xform: &XForm) -> Option<String> {
    let (mut at, steps) = match &path.start {
        PathStart::Root => {
            let (first, rest) = path.steps.split_first()?;
            let is_root = matches!(&first.test, StepTest::Name(name) if *name == xform.root);
            (is_root && first.predicates.is_empty()).then_some((Vec::new(), rest))?
        }
        PathStart::Relative => {
            let first = path.steps.first()?;
            (first.test == StepTest::Parent).then(|| (here.to_vec(), &path.steps[..]))?
        }
        PathStart::Expr(start) => match start.as_ref() {
            Expr::Call(call) if call.name == "current" && call.args.is_empty() => {
                (here.to_vec(), &path.steps[..])
            }
            _ => return None,
        },
    };
    for step in steps {
        if !step.predicates.is_empty() {
            return None;
        }
        match &step.test {
            StepTest::SelfNode => {}
            StepTest::Parent => {
                at.pop()?;
            }
            StepTest::Name(name) => at.push(name.clone()),
            StepTest::AnyChild => return None,
        }
    }
    xform.nodes.contains(&at).then(|| at.last().cloned())?
}

/// One form's comparison.
struct Comparison<'a> {
    file: &'a str,
    xform: &'a XForm,
    mismatches: &'a mut Vec<String>,
    used_deviations: &'a mut BTreeSet<usize>,
    compared: usize,
}

impl Comparison<'_> {
    /// Compares one attribute: ours and pyxform's, both as written.
    fn compare(
        &mut self,
        path: &str,
        node: &[String],
        (pyxform_name, our_name): (&str, &str),
        ours: Option<&str>,
        pyxform: Option<&str>,
    ) {
        self.compared += 1;
        let canon = |source: Option<&str>| -> Result<Option<String>, String> {
            let Some(source) = source else {
                return Ok(None);
            };
            let canonical = canonical(source, node, self.xform)?;
            // `required` false is the same as no `required`.
            Ok((our_name != "required" || canonical != "false()").then_some(canonical))
        };
        let (ours_canonical, pyxform_canonical) = match (canon(ours), canon(pyxform)) {
            (Ok(ours), Ok(pyxform)) => (ours, pyxform),
            (ours, pyxform) => {
                for (side, result) in [("ours", ours), ("pyxform's", pyxform)] {
                    if let Err(error) = result {
                        self.mismatches
                            .push(format!("{}: {path}: {our_name}: {side} {error}", self.file));
                    }
                }
                return;
            }
        };
        if ours_canonical == pyxform_canonical {
            return;
        }
        let known = EXPECTED_DEVIATIONS.iter().position(|deviation| {
            deviation.file == self.file
                && deviation.path == path
                && deviation.attribute == our_name
                && deviation.ours == ours_canonical.as_deref()
                && deviation.pyxform == pyxform_canonical.as_deref()
        });
        match known {
            Some(index) => {
                self.used_deviations.insert(index);
            }
            None => self.mismatches.push(format!(
                "{}: {path}: {our_name} (pyxform's `{pyxform_name}`): ours {}, pyxform's {}",
                self.file,
                show(ours_canonical.as_deref()),
                show(pyxform_canonical.as_deref()),
            )),
        }
    }
}

fn show(value: Option<&str>) -> String {
    value.map_or_else(|| "none".to_owned(), |value| format!("`{value}`"))
}

/// Our `relevant` for a field, with the flattened groups' `relevant`s around it.
fn effective_relevant(inherited: &[&Expression], own: Option<&Expression>) -> Option<String> {
    let parts: Vec<&str> = inherited
        .iter()
        .copied()
        .chain(own)
        .map(Expression::as_str)
        .collect();
    match parts.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        _ => Some(
            parts
                .iter()
                .map(|part| format!("({part})"))
                .collect::<Vec<_>>()
                .join(" and "),
        ),
    }
}

/// Our value of each compared attribute of an item, as written.
fn our_attributes(field: &OurField<'_>) -> [Option<String>; 4] {
    let text = |expression: Option<&Expression>| expression.map(|e| e.as_str().to_owned());
    let relevant = effective_relevant(&field.inherited, field.item.relevant());
    match field.item {
        Item::Question(question) => [
            relevant,
            text(question.constraint.as_ref()),
            text(question.calculation.as_ref()),
            text(question.required.as_ref()),
        ],
        Item::Group(_) | Item::Repeat(_) => [relevant, None, None, None],
    }
}

#[test]
fn every_field_is_bound_as_pyxform_binds_it() {
    let folder = corpus();
    let expected_folder = folder.join("expected");
    let mut expected: Vec<PathBuf> = std::fs::read_dir(&expected_folder)
        .unwrap_or_else(|error| {
            panic!(
                "the expected XForms are not at {}: {error}",
                expected_folder.display()
            )
        })
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "xml"))
        .collect();
    expected.sort();

    let mut mismatches = Vec::new();
    let mut used_deviations = BTreeSet::new();
    let mut forms = 0;
    let mut fields = 0;
    let mut attributes = 0;
    for xml in &expected {
        let Some(xform) = XForm::parse(xml, &mut mismatches) else {
            continue;
        };
        let stem = xml
            .file_stem()
            .and_then(|stem| stem.to_str())
            .expect("a UTF-8 file name");
        let sources: Vec<String> = ["xlsx", "xls"]
            .iter()
            .map(|extension| format!("{stem}.{extension}"))
            .filter(|name| folder.join(name).is_file())
            .collect();
        if sources.is_empty() {
            mismatches.push(format!(
                "{}: no {stem}.xlsx or {stem}.xls beside it",
                xml.display()
            ));
        }
        for file in &sources {
            let bytes = std::fs::read(folder.join(file)).expect("a corpus file is readable");
            let import = import_file(file, &bytes);
            let Some(form) = &import.form else {
                let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
                mismatches.push(format!("{file}: not imported: {errors:#?}"));
                continue;
            };
            let flat = FLAT_FORMS.contains(&stem);
            let ours = Ours::new(form, flat);
            let mut comparison = Comparison {
                file,
                xform: &xform,
                mismatches: &mut mismatches,
                used_deviations: &mut used_deviations,
                compared: 0,
            };
            compare_form(&mut comparison, form, &ours, &mut fields);
            attributes += comparison.compared;
            forms += 1;
        }
    }

    for (index, deviation) in EXPECTED_DEVIATIONS.iter().enumerate() {
        if !used_deviations.contains(&index) {
            mismatches.push(format!(
                "{}: {}: {}: the expected deviation (ours {}, pyxform's {}) did not occur: \
                 remove it from EXPECTED_DEVIATIONS",
                deviation.file,
                deviation.path,
                deviation.attribute,
                show(deviation.ours),
                show(deviation.pyxform),
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} difference(s) with pyxform's binds:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(forms >= 5, "only {forms} forms compared");
    assert!(fields >= 140, "only {fields} fields compared");
    println!("{forms} forms, {fields} fields, {attributes} attributes compared");
}

fn compare_form(comparison: &mut Comparison<'_>, form: &Form, ours: &Ours<'_>, fields: &mut usize) {
    let xform = comparison.xform;
    let file = comparison.file;
    // Every item of ours that pyxform's instance has, attribute by attribute.
    for (node, field) in &ours.by_pyxform {
        if !xform.nodes.contains(node) {
            comparison.mismatches.push(format!(
                "{file}: {}: pyxform's instance has no /{}/{}",
                field.path,
                xform.root,
                node.join("/")
            ));
            continue;
        }
        *fields += 1;
        for (names, ours) in ATTRIBUTES.iter().zip(our_attributes(field)) {
            let pyxform = xform.attribute(node, names.0);
            comparison.compare(&field.path, node, *names, ours.as_deref(), pyxform);
        }
    }
    // Every node of pyxform's instance that we do not have must be one it adds.
    for (index, node) in xform.nodes.iter().enumerate() {
        if ours.by_pyxform.contains_key(node) {
            continue;
        }
        let path = format!("/{}", node.join("/"));
        let Some(kind) = pyxform_addition(node, ours) else {
            comparison.mismatches.push(format!(
                "{file}: pyxform's /{}{path} is not in our form",
                xform.root
            ));
            continue;
        };
        let mut expected: [Option<String>; 4] = [None, None, None, None];
        match kind {
            AdditionKind::Metadata => {}
            AdditionKind::InstanceName => {
                expected[2] = form.instance_name.as_ref().map(|e| e.as_str().to_owned());
            }
            AdditionKind::RepeatCount => {
                let mut repeat = node.clone();
                let last = repeat.last_mut().expect("a node has a name");
                *last = last.trim_end_matches("_count").to_owned();
                if let Some(Item::Repeat(repeat)) = ours.by_pyxform.get(&repeat).map(|f| f.item) {
                    expected[2] = repeat.repeat_count.as_ref().map(|e| e.as_str().to_owned());
                }
            }
            AdditionKind::TableListLabel => {
                // The relevant of the group it stands in, copied in a flat form: the one
                // the next field of ours (in the same group) inherits.
                let next = xform.nodes[index + 1..]
                    .iter()
                    .find_map(|node| ours.by_pyxform.get(node));
                expected[0] = next.and_then(|field| effective_relevant(&field.inherited, None));
            }
        }
        for (names, ours) in ATTRIBUTES.iter().zip(expected) {
            let pyxform = xform.attribute(node, names.0);
            let label = format!("{path} ({kind:?}, pyxform's)");
            comparison.compare(&label, node, *names, ours.as_deref(), pyxform);
        }
    }
}

/// The normalisation itself, on the kinds of path pyxform writes.
#[test]
fn pyxform_paths_become_references() {
    let node = |path: &str| path.split('/').map(str::to_owned).collect::<Vec<_>>();
    let xform = XForm {
        root: "data".to_owned(),
        nodes: [
            "age",
            "household",
            "household/person",
            "household/person/name",
        ]
        .into_iter()
        .map(node)
        .collect(),
        binds: BTreeMap::new(),
    };
    let here = node("household/person/name");
    let cases = [
        (" /data/age  >=18 ", "${age} >= 18"),
        ("/data/age >= 18", "${age} >= 18"),
        ("(${age}) >= (18)", "${age} >= 18"),
        (
            "string-length(current()/../name) > 0",
            "string-length(${name}) > 0",
        ),
        ("selected(../name, 'other')", "selected(${name}, 'other')"),
        ("../../person/name = ''", "${name} = ''"),
        ("count(/data/household/person)", "count(${person})"),
        // Not a node of the instance, or not a path pyxform writes for `${}`: kept.
        ("/data/nowhere = 1", "/data/nowhere = 1"),
        ("/other/age = 1", "/other/age = 1"),
        (". > 0", ". > 0"),
        (
            "/data/household/person[1]/name",
            "/data/household/person[1]/name",
        ),
    ];
    let mut wrong = Vec::new();
    for (source, expected) in cases {
        match canonical(source, &here, &xform) {
            Ok(canonical) if canonical == expected => {}
            other => wrong.push(format!("{source}: {other:?}, expected {expected}")),
        }
    }
    assert!(canonical("selected(", &here, &xform).is_err());
    assert_eq!(
        effective_relevant(
            &[
                &Expression::new("${a} = 1"),
                &Expression::new("${b} or ${c}")
            ],
            Some(&Expression::new("${d}"))
        )
        .as_deref(),
        Some("(${a} = 1) and (${b} or ${c}) and (${d})")
    );
    assert_eq!(effective_relevant(&[], None), None);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
