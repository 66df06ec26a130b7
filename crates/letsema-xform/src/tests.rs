//! Spec-style tests: one small XForm per mapping rule.

use letsema_form::model::{
    DataNode, Form, Item, Language, MetadataKind, QuestionType, RangeParameters, Text,
};

use crate::{Import, MAX_BYTES, MAX_DEPTH, Severity, import};

/// An XForm with the primary instance's children, more of the model, and the body.
fn xform(instance: &str, model: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
    xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms"
    xmlns:orx="http://openrosa.org/xforms">
  <h:head>
    <h:title>Test</h:title>
    <model>
      <instance><data id="test" version="3">{instance}</data></instance>
      {model}
    </model>
  </h:head>
  <h:body>{body}</h:body>
</h:html>"#
    )
}

fn accepted(instance: &str, model: &str, body: &str) -> Form {
    let import = import(xform(instance, model, body).as_bytes());
    let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    import.form.expect("no errors, so a form")
}

fn refused(instance: &str, model: &str, body: &str, reason: &str) -> Import {
    let import = import(xform(instance, model, body).as_bytes());
    assert!(import.form.is_none(), "accepted: {:#?}", import.diagnostics);
    assert!(
        import.errors().any(|e| e.message.contains(reason)),
        "no error with `{reason}`: {:#?}",
        import.diagnostics
    );
    import
}

fn question<'a>(form: &'a Form, name: &str) -> &'a letsema_form::model::Question {
    form.find_question(name)
        .unwrap_or_else(|| panic!("no question {name}"))
}

fn kind(form: &Form, name: &str) -> QuestionType {
    question(form, name).kind.clone()
}

fn expr(e: Option<&letsema_form::model::Expression>) -> Option<&str> {
    e.map(|e| e.as_str())
}

#[test]
fn the_form_takes_id_version_title_and_root_name() {
    let form = accepted("<q/>", r#"<bind nodeset="/data/q" type="string"/>"#, "");
    assert_eq!(form.id.as_str(), "test");
    assert_eq!(form.version.as_deref(), Some("3"));
    assert_eq!(form.title, "Test");
    assert_eq!(form.root_name, None);

    let source = xform("<q/>", "", "")
        .replace("<data id", "<survey id")
        .replace("</data>", "</survey>");
    let form = import(source.as_bytes()).form.expect("accepted");
    assert_eq!(form.root_name.as_deref(), Some("survey"));
}

#[test]
fn input_types_map_to_question_types() {
    let cases = [
        ("string", QuestionType::Text),
        ("int", QuestionType::Integer),
        ("decimal", QuestionType::Decimal),
        ("date", QuestionType::Date),
        ("time", QuestionType::Time),
        ("dateTime", QuestionType::DateTime),
        ("geopoint", QuestionType::Geopoint),
        ("geotrace", QuestionType::Geotrace),
        ("geoshape", QuestionType::Geoshape),
        ("barcode", QuestionType::Barcode),
        ("xsd:int", QuestionType::Integer),
    ];
    for (data_type, expected) in cases {
        let form = accepted(
            "<q/>",
            &format!(r#"<bind nodeset="/data/q" type="{data_type}"/>"#),
            r#"<input ref="/data/q"><label>Q</label></input>"#,
        );
        assert_eq!(kind(&form, "q"), expected, "{data_type}");
    }
    // No bind: a string.
    let form = accepted("<q/>", "", r#"<input ref="/data/q"/>"#);
    assert_eq!(kind(&form, "q"), QuestionType::Text);
}

#[test]
fn a_boolean_input_is_refused() {
    refused(
        "<q/>",
        r#"<bind nodeset="/data/q" type="boolean"/>"#,
        r#"<input ref="/data/q"/>"#,
        "type boolean",
    );
}

#[test]
fn bind_expressions_and_messages_are_kept_as_written() {
    let form = accepted(
        "<age/><job/>",
        r#"<bind nodeset="/data/age" type="int" required="true()" jr:requiredMsg="Say it"
             constraint=". &gt;= 0 and . &lt; 130" jr:constraintMsg="Too old"/>
           <bind nodeset="/data/job" type="string" relevant="/data/age &gt;= 16"
             readonly="false()" required="false()"/>"#,
        r#"<input ref="/data/age"/><input ref="/data/job"/>"#,
    );
    let age = question(&form, "age");
    assert_eq!(expr(age.required.as_ref()), Some("true()"));
    assert_eq!(expr(age.constraint.as_ref()), Some(". >= 0 and . < 130"));
    assert_eq!(age.required_message, Text::plain("Say it"));
    assert_eq!(age.constraint_message, Text::plain("Too old"));
    let job = question(&form, "job");
    assert_eq!(expr(job.relevant.as_ref()), Some("/data/age >= 16"));
    assert_eq!(job.read_only, None);
    assert_eq!(job.required, None);
}

#[test]
fn a_calculate_without_control_is_a_calculate_and_with_one_a_calculation() {
    let form = accepted(
        "<a/><b/><c/>",
        r#"<bind nodeset="/data/a" type="int"/>
           <bind nodeset="/data/b" type="string" calculate="/data/a * 2"/>
           <bind nodeset="/data/c" type="int" calculate="/data/a + 1"/>"#,
        r#"<input ref="/data/a"/><input ref="/data/c"/>"#,
    );
    assert_eq!(kind(&form, "b"), QuestionType::Calculate);
    assert_eq!(
        expr(question(&form, "b").calculation.as_ref()),
        Some("/data/a * 2")
    );
    assert_eq!(kind(&form, "c"), QuestionType::Integer);
    assert_eq!(
        expr(question(&form, "c").calculation.as_ref()),
        Some("/data/a + 1")
    );
}

#[test]
fn a_field_without_control_or_calculation_is_hidden_with_its_instance_text_as_default() {
    let form = accepted(
        "<h>five</h><p>f(x)</p>",
        r#"<bind nodeset="/data/h" type="string"/>"#,
        "",
    );
    assert_eq!(kind(&form, "h"), QuestionType::Hidden);
    assert_eq!(question(&form, "h").default.as_deref(), Some("five"));
    // A literal the engine would take for an expression is quoted.
    assert_eq!(question(&form, "p").default.as_deref(), Some("'f(x)'"));
}

#[test]
fn preloads_are_metadata() {
    let cases = [
        ("timestamp", "start", MetadataKind::Start),
        ("timestamp", "end", MetadataKind::End),
        ("date", "today", MetadataKind::Today),
        ("property", "deviceid", MetadataKind::DeviceId),
        ("property", "username", MetadataKind::Username),
        ("property", "email", MetadataKind::Email),
        ("property", "phonenumber", MetadataKind::PhoneNumber),
        ("property", "simserial", MetadataKind::SimSerial),
        ("property", "subscriberid", MetadataKind::SubscriberId),
    ];
    for (preload, params, expected) in cases {
        let form = accepted(
            "<m/>",
            &format!(
                r#"<bind nodeset="/data/m" type="string" jr:preload="{preload}"
                     jr:preloadParams="{params}"/>"#
            ),
            "",
        );
        assert_eq!(
            kind(&form, "m"),
            QuestionType::Metadata(expected),
            "{params}"
        );
    }
    refused(
        "<m/>",
        r#"<bind nodeset="/data/m" jr:preload="patient" jr:preloadParams="age"/>"#,
        "",
        "jr:preload=\"patient\"",
    );
}

#[test]
fn the_meta_block_gives_the_instance_name_and_no_questions() {
    let form = accepted(
        "<name/><meta><instanceID/><instanceName/></meta>",
        r#"<bind nodeset="/data/name" type="string"/>
           <bind nodeset="/data/meta/instanceID" type="string" readonly="true()"
             jr:preload="uid" calculate="concat('uuid:', uuid())"/>
           <bind nodeset="/data/meta/instanceName" type="string"
             calculate="concat('Visit ', /data/name)"/>"#,
        r#"<input ref="/data/name"/>"#,
    );
    assert_eq!(
        form.instance_name.as_ref().map(|e| e.as_str()),
        Some("concat('Visit ', /data/name)")
    );
    assert_eq!(form.items.len(), 1);
    assert!(form.find_item("meta").is_none());
}

#[test]
fn an_audit_in_meta_is_audit_metadata() {
    let form = accepted(
        "<meta><instanceID/><audit/></meta>",
        r#"<bind nodeset="/data/meta/audit" type="binary"/>"#,
        "",
    );
    assert_eq!(
        kind(&form, "audit"),
        QuestionType::Metadata(MetadataKind::Audit)
    );
}

#[test]
fn setvalue_on_first_load_is_a_default() {
    let form = accepted(
        "<a/><b/><c/><d/>",
        r#"<setvalue event="odk-instance-first-load" ref="/data/a" value="'yes'"/>
           <setvalue event="odk-instance-first-load" ref="/data/b" value="today()"/>
           <setvalue event="odk-instance-first-load" ref="/data/c" value="/data/a"/>
           <setvalue event="odk-instance-first-load" ref="/data/d">12</setvalue>"#,
        r#"<input ref="/data/a"/><input ref="/data/b"/><input ref="/data/c"/>
           <input ref="/data/d"/>"#,
    );
    assert_eq!(question(&form, "a").default.as_deref(), Some("yes"));
    assert_eq!(question(&form, "b").default.as_deref(), Some("today()"));
    // Parenthesised, so that the engine takes it for an expression.
    assert_eq!(question(&form, "c").default.as_deref(), Some("(/data/a)"));
    assert_eq!(question(&form, "d").default.as_deref(), Some("12"));
}

#[test]
fn setvalue_on_value_changed_is_a_trigger() {
    let form = accepted(
        "<a/><when/>",
        r#"<bind nodeset="/data/a" type="string"/><bind nodeset="/data/when" type="dateTime"/>"#,
        r#"<input ref="/data/a">
             <setvalue event="xforms-value-changed" ref="/data/when" value="now()"/>
           </input>"#,
    );
    let when = question(&form, "when");
    assert_eq!(when.kind, QuestionType::Calculate);
    assert_eq!(expr(when.trigger.as_ref()), Some("${a}"));
    assert_eq!(expr(when.calculation.as_ref()), Some("now()"));
    refused(
        "<a/>",
        r#"<setvalue event="xforms-value-changed" ref="/data/a" value="1"/>"#,
        "",
        "not inside a control",
    );
}

#[test]
fn setgeopoint_on_first_load_is_the_start_geopoint() {
    let form = accepted(
        "<where/>",
        r#"<bind nodeset="/data/where" type="geopoint"/>
           <odk:setgeopoint event="odk-instance-first-load" ref="/data/where"/>"#,
        "",
    );
    assert_eq!(
        kind(&form, "where"),
        QuestionType::Metadata(MetadataKind::StartGeopoint)
    );
}

#[test]
fn uploads_follow_their_mediatype() {
    for (mediatype, expected) in [
        ("image/*", QuestionType::Image),
        ("audio/*", QuestionType::Audio),
        ("video/*", QuestionType::Video),
        ("application/*", QuestionType::File),
    ] {
        let form = accepted(
            "<f/>",
            r#"<bind nodeset="/data/f" type="binary"/>"#,
            &format!(r#"<upload ref="/data/f" mediatype="{mediatype}"/>"#),
        );
        assert_eq!(kind(&form, "f"), expected);
    }
}

#[test]
fn trigger_range_and_rank_controls() {
    let form = accepted(
        "<ok/><r/><order/>",
        r#"<bind nodeset="/data/r" type="decimal"/><bind nodeset="/data/order" type="odk:rank"/>"#,
        r#"<trigger ref="/data/ok"><label>OK?</label></trigger>
           <range ref="/data/r" start="0" end="5" step="0.5"/>
           <odk:rank ref="/data/order">
             <item><label>A</label><value>a</value></item>
             <item><label>B</label><value>b</value></item>
           </odk:rank>"#,
    );
    assert_eq!(kind(&form, "ok"), QuestionType::Acknowledge);
    assert_eq!(
        kind(&form, "r"),
        QuestionType::Range(RangeParameters {
            start: 0.0,
            end: 5.0,
            step: 0.5
        })
    );
    assert!(matches!(kind(&form, "order"), QuestionType::Rank { .. }));
    refused(
        "<r/>",
        "",
        r#"<range ref="/data/r" start="0" end="5" step="0"/>"#,
        "more than 0",
    );
}

#[test]
fn a_read_only_input_with_nothing_to_show_is_a_note() {
    let form = accepted(
        "<n/>",
        r#"<bind nodeset="/data/n" type="string" readonly="true()"/>"#,
        r#"<input ref="/data/n"><label>Read this</label></input>"#,
    );
    assert_eq!(kind(&form, "n"), QuestionType::Note);
    assert_eq!(question(&form, "n").read_only, None);
}

#[test]
fn groups_with_ref_are_groups_and_groups_without_are_lifted() {
    let form = accepted(
        "<g><a/></g><b/><rep><c/></rep><n/>",
        r#"<bind nodeset="/data/g" relevant="/data/b = 'x'"/>
           <bind nodeset="/data/n" type="int"/>"#,
        r#"<group ref="/data/g" appearance="field-list"><label>G</label>
             <input ref="a"/>
           </group>
           <group><input ref="/data/b"/></group>
           <input ref="/data/n"/>
           <group ref="/data/rep"><label>People</label>
             <repeat nodeset="/data/rep" jr:count="/data/n"><input ref="/data/rep/c"/></repeat>
           </group>"#,
    );
    let Some((_, Item::Group(g))) = form.find_item("g") else {
        panic!("g is a group");
    };
    assert_eq!(g.label, Text::plain("G"));
    assert_eq!(expr(g.relevant.as_ref()), Some("/data/b = 'x'"));
    assert_eq!(
        g.appearance.as_ref().map(|a| a.as_str()),
        Some("field-list")
    );
    assert!(matches!(form.items[1], Item::Question(ref q) if q.name == "b"));
    let Some((_, Item::Repeat(rep))) = form.find_item("rep") else {
        panic!("rep is a repeat");
    };
    assert_eq!(rep.label, Text::plain("People"));
    assert_eq!(expr(rep.repeat_count.as_ref()), Some("/data/n"));
    assert_eq!(rep.items.len(), 1);
}

#[test]
fn itext_gives_every_language_media_and_guidance() {
    let form = accepted(
        "<q/>",
        r#"<itext>
             <translation lang="English (en)" default="true()">
               <text id="q:label"><value>Name</value>
                 <value form="image">jr://images/name.png</value></text>
               <text id="q:hint"><value>Full name</value>
                 <value form="guidance">As on the passport</value></text>
             </translation>
             <translation lang="Sesotho (st)">
               <text id="q:label"><value>Lebitso</value></text>
             </translation>
           </itext>"#,
        r#"<input ref="/data/q"><label ref="jr:itext('q:label')"/>
             <hint ref="jr:itext('q:hint')"/></input>"#,
    );
    assert_eq!(form.default_language, Some(Language::new("English (en)")));
    let q = question(&form, "q");
    assert_eq!(
        q.label,
        Text::default()
            .with("English (en)", "Name")
            .with("Sesotho (st)", "Lebitso")
    );
    assert_eq!(
        q.media.image,
        Text::default().with("English (en)", "name.png")
    );
    assert_eq!(q.hint, Text::default().with("English (en)", "Full name"));
    assert_eq!(
        q.guidance_hint,
        Text::default().with("English (en)", "As on the passport")
    );
    refused(
        "<q/>",
        "<itext><translation lang=\"en\"/></itext>",
        r#"<input ref="/data/q"><label ref="jr:itext('missing')"/></input>"#,
        "names no text",
    );
}

#[test]
fn outputs_in_labels_become_references() {
    let form = accepted(
        "<name/><hi/>",
        r#"<bind nodeset="/data/hi" type="string" readonly="true()"/>"#,
        r#"<input ref="/data/name"/>
           <input ref="/data/hi"><label>Hello <output value=" /data/name "/>!</label></input>"#,
    );
    assert_eq!(question(&form, "hi").label, Text::plain("Hello ${name}!"));
}

#[test]
fn inline_items_make_a_list_named_after_the_question_shared_when_identical() {
    let items = r#"<item><label>Yes</label><value>yes</value></item>
                   <item><label>No</label><value>no</value></item>"#;
    let form = accepted(
        "<a/><b/><c/>",
        "",
        &format!(
            r#"<select1 ref="/data/a">{items}</select1><select ref="/data/b">{items}</select>
               <select1 ref="/data/c"><item><label>Maybe</label><value>m</value></item></select1>"#
        ),
    );
    assert_eq!(
        kind(&form, "a"),
        QuestionType::SelectOne {
            list: "a".into(),
            or_other: false
        }
    );
    assert_eq!(
        kind(&form, "b"),
        QuestionType::SelectMultiple {
            list: "a".into(),
            or_other: false
        }
    );
    assert_eq!(form.choice_lists.len(), 2);
    assert_eq!(form.choice_lists[0].choices[1].value.as_str(), "no");
    assert_eq!(form.choice_lists[0].choices[1].label, Text::plain("No"));
}

#[test]
fn an_itemset_over_an_inline_instance_is_a_list_with_a_choice_filter() {
    let form = accepted(
        "<country/><city/>",
        r#"<instance id="cities"><root>
             <item><name>mas</name><label>Maseru</label><country>ls</country></item>
             <item><name>jhb</name><label>Johannesburg</label><country>za</country></item>
           </root></instance>"#,
        r#"<input ref="/data/country"/>
           <select1 ref="/data/city">
             <itemset nodeset="instance('cities')/root/item[country = /data/country]">
               <value ref="name"/><label ref="label"/>
             </itemset>
           </select1>"#,
    );
    let city = question(&form, "city");
    assert_eq!(
        city.kind,
        QuestionType::SelectOne {
            list: "cities".into(),
            or_other: false
        }
    );
    assert_eq!(
        expr(city.choice_filter.as_ref()),
        Some("country = ${country}")
    );
    let list = &form.choice_lists[0];
    assert_eq!(list.choices.len(), 2);
    assert_eq!(list.choices[0].label, Text::plain("Maseru"));
    assert_eq!(
        list.choices[0]
            .properties
            .get("country")
            .map(String::as_str),
        Some("ls")
    );
    let instance = form.instance("cities").expect("kept as a data instance");
    assert_eq!(instance.source, None);
    assert_eq!(
        instance.root.children[0],
        DataNode::new("item")
            .with(DataNode::leaf("name", "mas"))
            .with(DataNode::leaf("label", "Maseru"))
            .with(DataNode::leaf("country", "ls"))
    );
}

#[test]
fn a_filter_reading_current_becomes_a_reference() {
    let form = accepted(
        "<rep><state/><lga/></rep>",
        r#"<instance id="lgas"><root><item><name>a</name><label>A</label><state>s</state></item>
           </root></instance>"#,
        r#"<repeat nodeset="/data/rep"><input ref="/data/rep/state"/>
             <select1 ref="/data/rep/lga">
               <itemset nodeset="instance('lgas')/root/item[state = current()/../state]">
                 <value ref="name"/><label ref="label"/>
               </itemset>
             </select1></repeat>"#,
    );
    assert_eq!(
        expr(question(&form, "lga").choice_filter.as_ref()),
        Some("state = ${state}")
    );
}

#[test]
fn itemset_labels_from_itext() {
    let form = accepted(
        "<q/>",
        r#"<itext><translation lang="en"><text id="c-0"><value>Zero</value></text></translation>
           </itext>
           <instance id="c"><root><item><name>0</name><itextId>c-0</itextId></item></root>
           </instance>"#,
        r#"<select1 ref="/data/q"><itemset nodeset="instance('c')/root/item">
             <value ref="name"/><label ref="jr:itext(itextId)"/></itemset></select1>"#,
    );
    assert_eq!(
        form.choice_lists[0].choices[0].label,
        Text::default().with("en", "Zero")
    );
}

#[test]
fn an_itemset_over_an_external_file_is_a_list_from_that_file() {
    let form = accepted(
        "<q/>",
        r#"<instance id="places" src="jr://file-csv/places.csv"/>"#,
        r#"<select1 ref="/data/q"><itemset nodeset="instance('places')/root/item">
             <value ref="code"/><label ref="title"/></itemset></select1>"#,
    );
    let list = &form.choice_lists[0];
    assert!(list.choices.is_empty());
    let file = list.from_file.as_ref().expect("from a file");
    assert_eq!(
        (file.file.as_str(), file.value.as_str(), file.label.as_str()),
        ("places.csv", "code", "title")
    );
    let instance = form.instance("places").expect("a placeholder");
    assert_eq!(instance.source.as_deref(), Some("places.csv"));
    assert_eq!(instance.root, DataNode::new("root"));
}

#[test]
fn choices_from_the_answers_are_refused() {
    refused(
        "<rep><n/></rep><q/>",
        "",
        r#"<repeat nodeset="/data/rep"><input ref="/data/rep/n"/></repeat>
           <select1 ref="/data/q"><itemset nodeset="/data/rep">
             <value ref="n"/><label ref="n"/></itemset></select1>"#,
        "cannot offer the form's own answers",
    );
}

#[test]
fn two_fields_with_one_name_are_refused_naming_both_paths() {
    let import = refused(
        "<g1><x/></g1><g2><x/></g2>",
        "",
        r#"<group ref="/data/g1"><input ref="x"/></group>
           <group ref="/data/g2"><input ref="x"/></group>"#,
        "two fields are called `x`",
    );
    let message = &import.errors().next().expect("an error").message;
    assert!(message.contains("/data/g1/x and /data/g2/x"), "{message}");
}

#[test]
fn absolute_paths_into_the_same_repeat_become_references() {
    let form = accepted(
        "<total/><rep><a/><b/></rep>",
        r#"<bind nodeset="/data/rep/a" type="int"/>
           <bind nodeset="/data/rep/b" type="int" calculate="/data/rep/a * 2"/>
           <bind nodeset="/data/total" type="int" calculate="sum(/data/rep/a)"/>"#,
        r#"<repeat nodeset="/data/rep"><input ref="/data/rep/a"/></repeat>"#,
    );
    // Inside the repeat: the current instance's `a`, as JavaRosa reads it.
    assert_eq!(
        expr(question(&form, "b").calculation.as_ref()),
        Some("${a} * 2")
    );
    // Outside: every instance, kept as written.
    assert_eq!(
        expr(question(&form, "total").calculation.as_ref()),
        Some("sum(/data/rep/a)")
    );
}

#[test]
fn indexed_repeat_paths_become_references() {
    let form = accepted(
        "<rep><a/></rep><first/>",
        r#"<bind nodeset="/data/first" type="string"
             calculate="indexed-repeat(/data/rep/a, /data/rep, 1)"/>"#,
        r#"<repeat nodeset="/data/rep"><input ref="/data/rep/a"/></repeat>"#,
    );
    assert_eq!(
        expr(question(&form, "first").calculation.as_ref()),
        Some("indexed-repeat(${a}, ${rep}, 1)")
    );
}

#[test]
fn what_letsema_cannot_do_is_refused_or_warned() {
    refused(
        "<q/>",
        r#"<instance id="last-saved" src="jr://instance/last-saved"/>"#,
        "",
        "last saved submission",
    );
    refused(
        "<q/>",
        r#"<setvalue event="my-event" ref="/data/q" value="1"/>"#,
        "",
        "is not one Letsema runs",
    );
    let import = import(
        xform(
            "<g><q/></g>",
            "",
            r#"<group ref="/data/g" intent="org.app(x=/data/q)"><input ref="q"/></group>"#,
        )
        .as_bytes(),
    );
    assert!(import.form.is_some());
    assert!(
        import
            .warnings()
            .any(|w| w.message.contains("launches no app")),
        "{:#?}",
        import.diagnostics
    );
}

#[test]
fn diagnostics_say_where() {
    let import = refused(
        "<q/>",
        r#"<bind nodeset="/data/q" type="int" calculate="nope(1)"/>"#,
        r#"<input ref="/data/q"/>"#,
        "not a known function",
    );
    let error = import.errors().next().expect("an error");
    assert_eq!(error.severity, Severity::Error);
    // The control asking the question.
    assert_eq!(error.line, Some(12));
    assert_eq!(error.element.as_deref(), Some("/h:html/h:body/input"));
}

#[test]
fn hostile_inputs_are_refused_with_a_reason() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![b' '; MAX_BYTES + 1], "more than"),
        (vec![0xff, 0xfe, b'<'], "not UTF-8"),
        (b"<h:html".to_vec(), "not well-formed"),
        (b"<html/>".to_vec(), "not an XForm"),
        (
            b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><x>&a;</x>".to_vec(),
            "not well-formed",
        ),
        (
            format!(
                "{}{}",
                "<a>".repeat(MAX_DEPTH + 1),
                "</a>".repeat(MAX_DEPTH + 1)
            )
            .into_bytes(),
            "nested more than",
        ),
        (
            xform("<q/>", "", r#"<input ref="/data/missing"/>"#).into_bytes(),
            "not an element of the primary instance",
        ),
    ];
    for (bytes, reason) in cases {
        let import = import(&bytes);
        assert!(import.form.is_none());
        assert!(
            import.errors().any(|e| e.message.contains(reason)),
            "{reason}: {:#?}",
            import.diagnostics
        );
    }
}
