//! GeoJSON files, as ODK Collect reads them: each feature of a `FeatureCollection` is an
//! `item` with a `geometry` in ODK's notation (`lat lon altitude accuracy`, points joined
//! by `; `), an `id` and a child per property.

use letsema_form::model::DataNode;
use serde_json::Value;

use crate::{Budget, DataFileError, is_element_name};

pub(crate) fn read(file: &str, text: &str, budget: &mut Budget) -> Result<DataNode, DataFileError> {
    let json: Value = serde_json::from_str(text).map_err(|e| {
        DataFileError::invalid(
            file,
            format!(
                "it is not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    if json.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(DataFileError::invalid(
            file,
            "a GeoJSON file attached to a form is a `FeatureCollection`: its top level must \
             have `\"type\": \"FeatureCollection\"` and a `features` list",
        ));
    }
    let features = json
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| DataFileError::invalid(file, "it has no `features` list"))?;
    let mut root = DataNode::new("root");
    for (i, feature) in features.iter().enumerate() {
        let n = i + 1;
        if feature.get("type").and_then(Value::as_str) != Some("Feature") {
            return Err(DataFileError::invalid(
                file,
                format!("feature {n} is not a `Feature`: give it `\"type\": \"Feature\"`"),
            ));
        }
        let geometry = feature.get("geometry").ok_or_else(|| {
            DataFileError::invalid(file, format!("feature {n} has no `geometry`"))
        })?;
        let points = odk_geometry(geometry)
            .map_err(|e| DataFileError::invalid(file, format!("feature {n}: {e}")))?;
        budget.spend()?;
        let mut item = DataNode::new("item");
        budget.spend()?;
        item.children.push(DataNode::leaf("geometry", points));
        let properties = feature.get("properties").and_then(Value::as_object);
        // The feature's own id, or else an `id` property (which then is not repeated).
        let id = feature
            .get("id")
            .map(scalar)
            .or_else(|| properties.and_then(|p| p.get("id")).map(scalar));
        if let Some(id) = id {
            budget.spend()?;
            item.children.push(DataNode::leaf("id", id));
        }
        for (key, value) in properties.into_iter().flatten() {
            if key == "id" || key == "geometry" {
                continue;
            }
            if !is_element_name(key) {
                return Err(DataFileError::invalid(
                    file,
                    format!(
                        "feature {n} has the property `{key}`, which a form cannot read: a \
                         property's name starts with a letter or `_` and has only letters, \
                         digits, `_`, `-` and `.`"
                    ),
                ));
            }
            budget.spend()?;
            item.children
                .push(DataNode::leaf(key.clone(), scalar(value)));
        }
        root.children.push(item);
    }
    Ok(root)
}

/// A property's value as text: strings as they are, numbers and booleans as JSON writes
/// them, `null` as `''`, lists and objects as their JSON.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A GeoJSON geometry in ODK's notation: `Point`, `LineString` (a geotrace) or `Polygon`
/// (its outer ring, a geoshape).
fn odk_geometry(geometry: &Value) -> Result<String, String> {
    let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
    let coordinates = geometry
        .get("coordinates")
        .ok_or_else(|| format!("the {kind} geometry has no `coordinates`"))?;
    match kind {
        "Point" => point(coordinates),
        "LineString" => points(coordinates),
        "Polygon" => coordinates
            .as_array()
            .and_then(|rings| rings.first())
            .ok_or_else(|| "the polygon has no ring".to_owned())
            .and_then(points),
        other => Err(format!(
            "its geometry is a `{other}`, but a form reads only a Point, a LineString or a \
             Polygon"
        )),
    }
}

fn points(coordinates: &Value) -> Result<String, String> {
    let list = coordinates
        .as_array()
        .ok_or_else(|| "the coordinates are not a list of points".to_owned())?;
    let points: Vec<String> = list.iter().map(point).collect::<Result<_, _>>()?;
    Ok(points.join("; "))
}

/// `[longitude, latitude, altitude?]` as `latitude longitude altitude 0`.
fn point(coordinates: &Value) -> Result<String, String> {
    let numbers: Vec<f64> = coordinates
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    match numbers.as_slice() {
        [lon, lat] => Ok(format!("{lat} {lon} 0 0")),
        [lon, lat, alt, ..] => Ok(format!("{lat} {lon} {alt} 0")),
        _ => Err("a point's coordinates are `[longitude, latitude]`".to_owned()),
    }
}
