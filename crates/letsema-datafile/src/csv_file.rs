//! CSV files: the first line names the columns; each further line is an `item` with a
//! child per column, as ODK Collect reads a CSV file (`instance('id')/root/item/column`).
//! As in JavaRosa, the values are separated by `;` when the first line has one, else by `,`.

use letsema_form::model::DataNode;

use crate::{Budget, DataFileError, is_element_name};

pub(crate) fn read(file: &str, text: &str, budget: &mut Budget) -> Result<DataNode, DataFileError> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| DataFileError::invalid(file, format!("the first line cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(DataFileError::invalid(
            file,
            "the first line is empty: it must name the columns (such as `name,label`)",
        ));
    }
    for (i, header) in headers.iter().enumerate() {
        if !header.is_empty() && !is_element_name(header) {
            return Err(DataFileError::invalid(
                file,
                format!(
                    "column {} is named `{header}`, which a form cannot read: a column's name \
                     starts with a letter or `_` and has only letters, digits, `_`, `-` and `.`",
                    i + 1
                ),
            ));
        }
        if !header.is_empty() && headers[..i].contains(header) {
            return Err(DataFileError::invalid(
                file,
                format!("two columns are named `{header}`: rename one of them"),
            ));
        }
    }
    let mut root = DataNode::new("root");
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            DataFileError::invalid(file, format!("line {line} cannot be read: {e}"))
        })?;
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() > headers.len() && record.iter().skip(headers.len()).any(|c| !c.is_empty())
        {
            return Err(DataFileError::invalid(
                file,
                format!(
                    "line {line} has {} values but the first line names {} columns: name every \
                     column, or remove the extra values",
                    record.len(),
                    headers.len()
                ),
            ));
        }
        budget.spend()?;
        let mut item = DataNode::new("item");
        for (i, header) in headers.iter().enumerate() {
            if header.is_empty() {
                continue;
            }
            budget.spend()?;
            item.children
                .push(DataNode::leaf(header.clone(), record.get(i).unwrap_or("")));
        }
        root.children.push(item);
    }
    Ok(root)
}
