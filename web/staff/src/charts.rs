//! Charts as data, drawn as SVG and written as CSV: a [`Chart`] is a titled list of rows,
//! each with the cells that name it and the numbers it holds; the first number is the one
//! drawn. The same chart is the page's picture, its table, and the files downloaded, so that
//! what a ministry copies is what it saw.
//!
//! The SVG is self-contained (presentation attributes, no stylesheet, no script), so that a
//! downloaded file opens anywhere and the page's Content-Security-Policy (no inline styles)
//! allows it. Every text in it is escaped: labels come from forms and association names.
//!
//! Pure: no browser, so its tests run natively.

use std::fmt::Write as _;

/// How a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One horizontal bar per row, labelled on its left, its count on its right.
    Bars,
    /// One column per row, left to right (a time series), labelled below.
    Columns,
}

/// One row: what names it and its numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What the row is in the data (a choice's value, a bucket, a month): stable across
    /// languages, the first column of the CSV.
    pub key: String,
    /// What people read, one per [`Chart::label_headers`].
    pub cells: Vec<String>,
    /// One per [`Chart::value_headers`]; the first is drawn.
    pub values: Vec<u64>,
}

impl Row {
    /// The row's cells as one label.
    pub fn label(&self) -> String {
        self.cells.join(" · ")
    }

    /// The number drawn.
    pub fn count(&self) -> u64 {
        self.values.first().copied().unwrap_or_default()
    }
}

/// A chart and the table behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// Names its files and its place on the page (`countries`).
    pub id: &'static str,
    pub title: String,
    pub label_headers: Vec<String>,
    pub value_headers: Vec<String>,
    pub rows: Vec<Row>,
    pub shape: Shape,
}

/// The most rows a bar chart draws: the largest, in the chart's order; the table lists all.
pub const MAX_BARS: usize = 15;
/// How wide a chart is drawn, and the room its bars' labels take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// In CSS pixels.
    pub width: u32,
    /// Left of the bars.
    label_width: u32,
    /// The most characters of a bar's label; longer ones end in "…" (the table has them
    /// whole).
    max_label: usize,
}

impl Size {
    /// A laptop's, and every downloaded file's.
    pub const WIDE: Size = Size {
        width: 720,
        label_width: 250,
        max_label: 34,
    };
    /// A phone's: drawn at about the width shown, so that its text stays readable.
    pub const NARROW: Size = Size {
        width: 400,
        label_width: 165,
        max_label: 18,
    };
}

const VALUE_WIDTH: u32 = 70;
const ROW_HEIGHT: u32 = 26;
const BAR_HEIGHT: u32 = 18;
const TITLE_HEIGHT: u32 = 34;
const COLUMNS_HEIGHT: u32 = 240;
const AXIS_WIDTH: u32 = 48;
const AXIS_HEIGHT: u32 = 40;
const FONT: &str = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif";
const INK: &str = "#17202a";
const MUTED: &str = "#4a5563";
const BAR: &str = "#1d4e89";
const GRID: &str = "#c9ced6";

impl Chart {
    /// The rows a bar chart draws: the first [`MAX_BARS`] (all of a column chart's).
    pub fn drawn(&self) -> &[Row] {
        match self.shape {
            Shape::Bars => &self.rows[..self.rows.len().min(MAX_BARS)],
            Shape::Columns => &self.rows,
        }
    }

    /// Whether every row's count is zero (or there is no row).
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|row| row.count() == 0)
    }

    /// The height of [`Chart::svg`]'s picture, in CSS pixels.
    pub fn height(&self, titled: bool) -> u32 {
        let top = if titled { TITLE_HEIGHT } else { 0 };
        let body = if self.is_empty() {
            ROW_HEIGHT * 2
        } else {
            match self.shape {
                Shape::Bars => ROW_HEIGHT * self.drawn().len() as u32 + 8,
                Shape::Columns => COLUMNS_HEIGHT,
            }
        };
        top + body
    }

    /// The chart as an SVG document, `size` wide (its height follows from its rows). With
    /// `titled`, the title is drawn at the top (a downloaded file); without, the page's
    /// caption says it. `empty` is what an empty chart says.
    pub fn svg(&self, size: Size, titled: bool, empty: &str) -> String {
        let top = if titled { TITLE_HEIGHT } else { 0 };
        let drawn = self.drawn();
        let height = self.height(titled);
        let width = size.width;
        let mut out = String::new();
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{title}" font-family="{FONT}" font-size="13" fill="{INK}"><title>{title}</title><rect width="{width}" height="{height}" fill="#fff"/>"##,
            title = escape(&self.title),
        );
        if titled {
            let _ = write!(
                out,
                r#"<text x="8" y="22" font-size="16" font-weight="700">{}</text>"#,
                escape(&self.title)
            );
        }
        if self.is_empty() {
            let _ = write!(
                out,
                r#"<text x="8" y="{}" fill="{MUTED}">{}</text>"#,
                top + ROW_HEIGHT,
                escape(empty)
            );
        } else {
            match self.shape {
                Shape::Bars => bars(&mut out, drawn, top, size),
                Shape::Columns => columns(&mut out, drawn, top, size),
            }
        }
        out.push_str("</svg>");
        out
    }

    /// The table as CSV (RFC 4180, with a byte-order mark so that spreadsheet programs read
    /// it as UTF-8): the key, the label columns and the values, every row.
    pub fn csv(&self) -> String {
        let mut out = String::from("\u{feff}");
        let header = std::iter::once("key")
            .chain(self.label_headers.iter().map(String::as_str))
            .chain(self.value_headers.iter().map(String::as_str));
        line(&mut out, header.map(str::to_owned));
        for row in &self.rows {
            let cells = std::iter::once(row.key.clone())
                .chain(row.cells.iter().cloned())
                .chain(row.values.iter().map(u64::to_string));
            line(&mut out, cells);
        }
        out
    }
}

fn bars(out: &mut String, rows: &[Row], top: u32, size: Size) {
    let most = rows.iter().map(Row::count).max().unwrap_or(1).max(1);
    let label_width = size.label_width;
    let room = size.width - label_width - VALUE_WIDTH;
    for (at, row) in rows.iter().enumerate() {
        let y = top + 4 + ROW_HEIGHT * at as u32;
        let length = scaled(row.count(), most, room);
        let label = row.label();
        let _ = write!(
            out,
            r#"<g data-key="{key}" data-count="{count}"><title>{full}: {count}</title><text x="{lx}" y="{ty}" text-anchor="end">{shown}</text><rect x="{label_width}" y="{by}" width="{length}" height="{BAR_HEIGHT}" fill="{BAR}"/><text x="{vx}" y="{ty}">{count}</text></g>"#,
            key = escape(&row.key),
            count = row.count(),
            full = escape(&label),
            shown = escape(&shortened(&label, size.max_label)),
            lx = label_width - 8,
            ty = y + 14,
            by = y + 1,
            vx = label_width + length + 6,
        );
    }
}

fn columns(out: &mut String, rows: &[Row], top: u32, size: Size) {
    let width = size.width;
    let most = rows.iter().map(Row::count).max().unwrap_or(1).max(1);
    let plot_top = top + 16;
    let plot_height = COLUMNS_HEIGHT - AXIS_HEIGHT - 16;
    let baseline = plot_top + plot_height;
    let plot_width = width - AXIS_WIDTH - 8;
    let slot = plot_width as f64 / rows.len().max(1) as f64;
    // Not wider than a finger's breadth, however few the months.
    let bar_width = (slot * 0.7).clamp(1.0, 48.0);
    // The axis: zero and the largest count, with a line at each.
    for (value, y) in [(0, baseline), (most, plot_top)] {
        let _ = write!(
            out,
            r#"<line x1="{AXIS_WIDTH}" x2="{width}" y1="{y}" y2="{y}" stroke="{GRID}"/><text x="{tx}" y="{ty}" text-anchor="end" fill="{MUTED}">{value}</text>"#,
            tx = AXIS_WIDTH - 6,
            ty = y + 4,
        );
    }
    // A label under every column while they fit, else under every few.
    let every = (rows.len() as f64 * 64.0 / plot_width as f64)
        .ceil()
        .max(1.0) as usize;
    let counts_fit = slot >= 28.0;
    for (at, row) in rows.iter().enumerate() {
        let height = scaled(row.count(), most, plot_height);
        let x = AXIS_WIDTH as f64 + slot * at as f64 + (slot - bar_width) / 2.0;
        let middle = x + bar_width / 2.0;
        let label = row.label();
        let _ = write!(
            out,
            r#"<g data-key="{key}" data-count="{count}"><title>{full}: {count}</title><rect x="{x:.1}" y="{y}" width="{bar_width:.1}" height="{height}" fill="{BAR}"/>"#,
            key = escape(&row.key),
            count = row.count(),
            full = escape(&label),
            y = baseline - height,
        );
        if counts_fit {
            let _ = write!(
                out,
                r#"<text x="{middle:.1}" y="{}" text-anchor="middle" font-size="11">{}</text>"#,
                baseline - height - 3,
                row.count()
            );
        }
        if at % every == 0 {
            let _ = write!(
                out,
                r#"<text x="{middle:.1}" y="{}" text-anchor="middle" font-size="11" fill="{MUTED}">{}</text>"#,
                baseline + 16,
                escape(&shortened(&label, size.max_label))
            );
        }
        out.push_str("</g>");
    }
}

/// `value` of `most`, as a length of `room` (at least a pixel for a count above zero).
fn scaled(value: u64, most: u64, room: u32) -> u32 {
    if value == 0 {
        return 0;
    }
    let length = (value as f64 / most as f64 * f64::from(room)).round() as u32;
    length.clamp(1, room)
}

/// A label of at most `max` characters.
fn shortened(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_owned();
    }
    let mut short: String = label.chars().take(max.saturating_sub(1)).collect();
    short.push('…');
    short
}

/// Text made safe inside an XML element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// One CSV line of `cells`, ended by CRLF.
fn line(out: &mut String, cells: impl Iterator<Item = String>) {
    for (at, cell) in cells.enumerate() {
        if at > 0 {
            out.push(',');
        }
        out.push_str(&csv_cell(&cell));
    }
    out.push_str("\r\n");
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break; a text that a
/// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is kept as text with a
/// leading apostrophe. Numbers never start so, except negatives, which a chart has none of.
fn csv_cell(cell: &str) -> String {
    let guarded = if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(shape: Shape, rows: &[(&str, &str, u64)]) -> Chart {
        Chart {
            id: "countries",
            title: "Members by country".into(),
            label_headers: vec!["Country".into()],
            value_headers: vec!["Members".into()],
            rows: rows
                .iter()
                .map(|(key, label, count)| Row {
                    key: (*key).into(),
                    cells: vec![(*label).into()],
                    values: vec![*count],
                })
                .collect(),
            shape,
        }
    }

    #[test]
    fn each_bar_carries_its_key_and_count_and_the_largest_fills_the_room() {
        let svg = chart(
            Shape::Bars,
            &[
                ("south_africa", "South Africa", 40),
                ("uk", "United Kingdom", 10),
            ],
        )
        .svg(Size::WIDE, false, "No data");
        assert!(svg.contains(r#"<g data-key="south_africa" data-count="40">"#));
        assert!(svg.contains(r#"<g data-key="uk" data-count="10">"#));
        let room = Size::WIDE.width - Size::WIDE.label_width - VALUE_WIDTH;
        assert!(svg.contains(&format!(r#"width="{room}" height="{BAR_HEIGHT}""#)));
        assert!(svg.contains(&format!(r#"width="{}" height="{BAR_HEIGHT}""#, room / 4)));
        assert!(
            !svg.contains("font-weight=\"700\""),
            "untitled: the page's caption says it"
        );
    }

    #[test]
    fn labels_from_forms_cannot_break_out_of_the_svg() {
        let svg = chart(
            Shape::Bars,
            &[("x\"><script>", "<script>alert('x')</script> & co", 1)],
        )
        .svg(Size::WIDE, true, "No data");
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"));
        assert!(svg.contains(r#"data-key="x&quot;&gt;&lt;script&gt;""#));
    }

    #[test]
    fn a_bar_chart_draws_its_largest_rows_and_its_table_keeps_them_all() {
        let rows: Vec<(String, u64)> = (0..40).map(|at| (format!("k{at}"), 100 - at)).collect();
        let rows: Vec<(&str, &str, u64)> = rows
            .iter()
            .map(|(key, count)| (key.as_str(), key.as_str(), *count))
            .collect();
        let chart = chart(Shape::Bars, &rows);
        let svg = chart.svg(Size::WIDE, false, "No data");
        assert_eq!(svg.matches("<g data-key").count(), MAX_BARS);
        assert_eq!(chart.csv().lines().count(), 41);
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg = chart(Shape::Bars, &[("uk", "United Kingdom", 0)]).svg(
            Size::WIDE,
            false,
            "Nothing yet",
        );
        assert!(svg.contains("Nothing yet"));
        assert!(!svg.contains("<rect x"));
    }

    #[test]
    fn columns_label_every_few_months_when_they_would_crowd() {
        let months: Vec<String> = (1..=36)
            .map(|at| format!("{}-{:02}", 2024 + (at - 1) / 12, (at - 1) % 12 + 1))
            .collect();
        let rows: Vec<(&str, &str, u64)> = months
            .iter()
            .map(|month| (month.as_str(), month.as_str(), 3))
            .collect();
        let svg = chart(Shape::Columns, &rows).svg(Size::WIDE, false, "No data");
        assert_eq!(svg.matches("<g data-key").count(), 36, "every month drawn");
        let labelled = months
            .iter()
            .filter(|month| svg.contains(&format!(">{month}</text>")))
            .count();
        assert!(labelled > 4 && labelled < 36, "{labelled} months labelled");
    }

    #[test]
    fn long_labels_are_shortened_in_the_picture_and_whole_in_its_tooltip() {
        let long = "Obstetrics and gynaecology, with a sub-speciality in fetal medicine";
        let svg = chart(Shape::Bars, &[("x", long, 2)]).svg(Size::WIDE, false, "No data");
        assert!(svg.contains(&format!("<title>{long}: 2</title>")));
        assert!(svg.contains("Obstetrics and gynaecology, with …</text>"));
        let narrow = chart(Shape::Bars, &[("x", long, 2)]).svg(Size::NARROW, false, "No data");
        assert!(narrow.contains("Obstetrics and gy…</text>"));
        assert!(narrow.contains(r#"width="400""#));
    }

    #[test]
    fn the_csv_quotes_what_needs_it_and_keeps_formulas_as_text() {
        let mut chart = chart(
            Shape::Bars,
            &[
                ("a", "Maseru, \"central\"", 3),
                ("b", "=HYPERLINK(\"http://x\")", 1),
            ],
        );
        chart.label_headers = vec!["Association".into()];
        assert_eq!(
            chart.csv(),
            "\u{feff}key,Association,Members\r\n\
             a,\"Maseru, \"\"central\"\"\",3\r\n\
             b,\"'=HYPERLINK(\"\"http://x\"\")\",1\r\n"
        );
    }
}
