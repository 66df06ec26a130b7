//! CSV: one file per table, each written to a temporary file as submissions come, then
//! copied into a ZIP when the export finishes.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::ExportError;
use crate::rows::{Cell, RowSink, rfc3339_millis};

/// Above this size a file gets ZIP64 sizes (deflate may grow incompressible data a little,
/// so well below the 4 GiB limit).
const ZIP64_FROM: u64 = 0xF000_0000;

pub(crate) struct CsvSink<W> {
    out: W,
    /// Each table's file name in the ZIP and its writer.
    tables: Vec<(String, csv::Writer<File>)>,
}

impl<W: Write + Seek> CsvSink<W> {
    /// A temporary file per table, its header row written.
    pub(crate) fn new(
        out: W,
        tables: Vec<(String, Vec<String>)>,
    ) -> Result<CsvSink<W>, ExportError> {
        let mut writers = Vec::with_capacity(tables.len());
        for (file_name, headers) in tables {
            let mut writer = csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(tempfile::tempfile()?);
            writer.write_record(&headers).map_err(io::Error::from)?;
            writers.push((file_name, writer));
        }
        Ok(CsvSink {
            out,
            tables: writers,
        })
    }

    /// The ZIP of every table's file, streamed from the temporary files.
    pub(crate) fn finish(self) -> Result<W, ExportError> {
        let mut zip = ZipWriter::new(self.out);
        for (file_name, writer) in self.tables {
            let mut file = writer.into_inner().map_err(|error| error.into_error())?;
            let size = file.stream_position()?;
            file.seek(SeekFrom::Start(0))?;
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .large_file(size >= ZIP64_FROM);
            zip.start_file(file_name, options)
                .map_err(io::Error::from)?;
            io::copy(&mut file, &mut zip)?;
        }
        Ok(zip.finish().map_err(io::Error::from)?)
    }
}

impl<W> RowSink for CsvSink<W> {
    fn write_row(
        &mut self,
        table: usize,
        cells: &[Cell<'_>],
        _key: &str,
    ) -> Result<(), ExportError> {
        let Some((_, writer)) = self.tables.get_mut(table) else {
            return Ok(());
        };
        for cell in cells {
            let result = match cell {
                Cell::Empty => writer.write_field(""),
                Cell::Text(text) => writer.write_field(text.as_bytes()),
                Cell::Number(text) | Cell::Date(text) | Cell::DateTime(text) => {
                    writer.write_field(text)
                }
                Cell::Flag(selected) => writer.write_field(if *selected { "1" } else { "0" }),
                Cell::Timestamp(millis) => writer.write_field(rfc3339_millis(*millis)),
                Cell::Bool(value) => writer.write_field(if *value { "true" } else { "false" }),
            };
            result.map_err(io::Error::from)?;
        }
        writer
            .write_record(None::<&[u8]>)
            .map_err(io::Error::from)?;
        Ok(())
    }
}
