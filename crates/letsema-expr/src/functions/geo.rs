//! Geographic functions (ODK XForms spec, "Geographic Functions"), computed as ODK Collect
//! (JavaRosa's `GeoUtils`) computes them, so that a form gives the same numbers on a phone
//! running Collect and one running Letsema: a spherical Earth of the equatorial radius
//! (6,378,100 m), great-circle distances by the spherical law of cosines, and the area of a
//! polygon summed from triangles fanned out from its first point on a local flat
//! projection. Altitude and accuracy are read and ignored.
//!
//! A geopoint is `latitude longitude [altitude [accuracy]]`; a geotrace or geoshape is
//! geopoints separated by `;`.

use super::Args;
use crate::error::EvalError;
use crate::value::Value;

type R = Result<Value, EvalError>;

const EARTH_EQUATORIAL_RADIUS_METERS: f64 = 6_378_100.0;
const EARTH_EQUATORIAL_CIRCUMFERENCE_METERS: f64 =
    2.0 * EARTH_EQUATORIAL_RADIUS_METERS * std::f64::consts::PI;

/// A point's latitude and longitude, in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LatLong {
    latitude: f64,
    longitude: f64,
}

fn not_coordinates(function: &str, value: &str) -> EvalError {
    EvalError::invalid_argument(
        function,
        format!(
            "`{value}` is not a location: give a geopoint ('latitude longitude altitude \
             accuracy', as a geopoint question stores it), or a geotrace or geoshape (geopoints \
             separated by ';')"
        ),
    )
}

/// One geopoint: `latitude longitude [altitude [accuracy]]`.
fn geopoint(function: &str, text: &str) -> Result<LatLong, EvalError> {
    let parts: Vec<f64> = text
        .split_whitespace()
        .map(str::parse::<f64>)
        .collect::<Result<_, _>>()
        .map_err(|_| not_coordinates(function, text))?;
    match parts.as_slice() {
        [latitude, longitude, rest @ ..]
            if rest.len() <= 2
                && (-90.0..=90.0).contains(latitude)
                && (-180.0..=180.0).contains(longitude) =>
        {
            Ok(LatLong {
                latitude: *latitude,
                longitude: *longitude,
            })
        }
        _ => Err(not_coordinates(function, text)),
    }
}

/// The points of a geotrace or geoshape (`;`-separated geopoints; an empty one has none).
fn points(function: &str, text: &str) -> Result<Vec<LatLong>, EvalError> {
    text.split(';')
        .map(str::trim)
        .filter(|point| !point.is_empty())
        .map(|point| geopoint(function, point))
        .collect()
}

/// The points of argument `i`: a node-set of one node is a geoshape or geotrace, of several
/// one geopoint each; a string is a geoshape or geotrace.
fn argument_points(a: &mut Args<'_, '_>, i: usize) -> Result<Vec<LatLong>, EvalError> {
    let values = a.strings(i)?;
    let name = a.name().to_owned();
    match values.as_slice() {
        [one] => points(&name, one),
        many => many
            .iter()
            .filter(|value| !value.trim().is_empty())
            .map(|value| geopoint(&name, value))
            .collect(),
    }
}

/// `area(geoshape)` or `area(${geopoint in a repeat})`: square metres enclosed; 0 for fewer
/// than three points.
pub(super) fn area(a: &mut Args<'_, '_>) -> R {
    let points = argument_points(a, 0)?;
    Ok(Value::Number(polygon_area(&points)))
}

/// `distance(geotrace)`, `distance(${geopoint in a repeat})` or `distance(point, point, …)`:
/// metres along the points in their order.
pub(super) fn distance(a: &mut Args<'_, '_>) -> R {
    let points = if a.len() == 1 {
        argument_points(a, 0)?
    } else {
        let name = a.name().to_owned();
        (0..a.len())
            .map(|i| a.string(i).and_then(|text| geopoint(&name, &text)))
            .collect::<Result<_, _>>()?
    };
    Ok(Value::Number(path_length(&points)))
}

/// `geofence(geopoint, geoshape)`: whether the point is inside the shape (ray casting; the
/// shape's last point repeats its first, as a geoshape question stores it).
pub(super) fn geofence(a: &mut Args<'_, '_>) -> R {
    let text = a.string(0)?;
    let point = geopoint(a.name(), &text)?;
    let shape = argument_points(a, 1)?;
    Ok(Value::Boolean(inside(point, &shape)))
}

fn polygon_area(points: &[LatLong]) -> f64 {
    let Some((reference, rest)) = points.split_first() else {
        return 0.0;
    };
    if points.len() < 3 {
        return 0.0;
    }
    let segments: Vec<(f64, f64)> = rest
        .iter()
        .map(|p| {
            let y =
                (p.latitude - reference.latitude) * EARTH_EQUATORIAL_CIRCUMFERENCE_METERS / 360.0;
            let x = (p.longitude - reference.longitude)
                * EARTH_EQUATORIAL_CIRCUMFERENCE_METERS
                * p.latitude.to_radians().cos()
                / 360.0;
            (x, y)
        })
        .collect();
    segments
        .windows(2)
        .map(|pair| (pair[0].1 * pair[1].0 - pair[0].0 * pair[1].1) / 2.0)
        .sum::<f64>()
        .abs()
}

fn path_length(points: &[LatLong]) -> f64 {
    points
        .windows(2)
        .map(|pair| {
            let (p1, p2) = (pair[0], pair[1]);
            let delta = (p1.longitude - p2.longitude).to_radians();
            let (phi1, phi2) = (p1.latitude.to_radians(), p2.latitude.to_radians());
            let cosine = phi1.sin() * phi2.sin() + phi1.cos() * phi2.cos() * delta.cos();
            // Rounding can take the cosine of two equal points a hair past 1.
            cosine.clamp(-1.0, 1.0).acos() * EARTH_EQUATORIAL_RADIUS_METERS
        })
        .sum()
}

fn inside(point: LatLong, polygon: &[LatLong]) -> bool {
    let (x, y) = (point.longitude, point.latitude);
    let mut inside = false;
    for pair in polygon.windows(2) {
        let (p1, p2) = (pair[0], pair[1]);
        if (p2.latitude > y) != (p1.latitude > y)
            && x < (p1.longitude - p2.longitude) * (y - p2.latitude) / (p1.latitude - p2.latitude)
                + p2.longitude
        {
            inside = !inside;
        }
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(points: &[[f64; 2]]) -> Vec<LatLong> {
        points
            .iter()
            .map(|[latitude, longitude]| LatLong {
                latitude: *latitude,
                longitude: *longitude,
            })
            .collect()
    }

    /// JavaRosa's `GeoUtilsTest` paths, with its expected figures (to half a unit).
    #[test]
    fn area_and_distance_agree_with_odk_collect() {
        for (points, area, distance) in [
            (
                path(&[
                    [38.253094215699576, 21.756382658677467],
                    [38.25021274773806, 21.756382658677467],
                    [38.25007793942195, 21.763892843919166],
                    [38.25290886154963, 21.763935759263404],
                    [38.25146813817506, 21.758421137528785],
                ]),
                151_452.0,
                1_801.0,
            ),
            (
                path(&[
                    [38.25304740874071, 21.75644703234866],
                    [38.25308110946615, 21.763377860443143],
                    [38.25078942453431, 21.763399318115262],
                    [38.25090738066984, 21.756640151397733],
                    [38.25197740258244, 21.75892539347842],
                ]),
                122_755.0,
                1_685.0,
            ),
        ] {
            assert!(
                (polygon_area(&points) - area).abs() < 0.5,
                "{}",
                polygon_area(&points)
            );
            assert!(
                (path_length(&points) - distance).abs() < 0.5,
                "{}",
                path_length(&points)
            );
        }
        let degree = path(&[[0.0, 0.0], [0.0, 1.0]]);
        assert!(
            (path_length(&degree) - EARTH_EQUATORIAL_CIRCUMFERENCE_METERS / 360.0).abs() < 1e-6
        );
        assert_eq!(path_length(&path(&[[90.0, 0.0], [90.0, 1.0]])), 0.0);
    }

    #[test]
    fn a_point_is_inside_a_shape_that_surrounds_it() {
        let square = path(&[[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 0.0], [0.0, 0.0]]);
        let at = |latitude, longitude| LatLong {
            latitude,
            longitude,
        };
        assert!(inside(at(0.5, 0.5), &square));
        assert!(!inside(at(1.5, 0.5), &square));
    }
}
