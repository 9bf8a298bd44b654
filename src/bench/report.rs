//! A bench suite's figures as data: tables of text and numbers, printed as Markdown for people
//! or as JSON (`visor bench --json`) for comparing runs. Numbers keep their full value in JSON;
//! Markdown rounds them to the decimals the suite chose.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value, json};

/// One cell: text, or a number shown with `decimals` places in Markdown.
#[derive(Clone, Debug)]
pub enum Cell {
    Text(String),
    Number { value: f64, decimals: usize },
}

/// A number cell with `decimals` places.
pub fn num(value: f64, decimals: usize) -> Cell {
    Cell::Number { value, decimals }
}

/// A text cell.
pub fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

impl Cell {
    fn markdown(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number { value, .. } if !value.is_finite() => "–".to_owned(),
            Cell::Number { value, decimals } => format!("{value:.decimals$}"),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(t) => Value::String(t.clone()),
            Cell::Number { value, .. } if !value.is_finite() => Value::Null,
            Cell::Number { value, .. } => json!(value),
        }
    }
}

/// One table: a title (what was measured, how often), its columns and rows, and notes below.
#[derive(Clone, Debug)]
pub struct Table {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub notes: Vec<String>,
}

impl Table {
    pub fn new(title: impl Into<String>, columns: &[&str]) -> Table {
        Table { title: title.into(), columns: columns.iter().map(|c| (*c).to_owned()).collect(), rows: Vec::new(), notes: Vec::new() }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        debug_assert_eq!(cells.len(), self.columns.len(), "a row of '{}' with the wrong number of cells", self.title);
        self.rows.push(cells);
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

/// A suite's report: a few lines saying where it ran, then its tables.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// `(what, value)`: the adapter, the model, the machine.
    pub context: Vec<(String, String)>,
    pub tables: Vec<Table>,
}

#[derive(Serialize)]
struct JsonTable {
    title: String,
    rows: Vec<Map<String, Value>>,
    notes: Vec<String>,
}

impl Report {
    pub fn context(&mut self, what: &str, value: impl Into<String>) {
        self.context.push((what.to_owned(), value.into()));
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        for (what, value) in &self.context {
            let _ = writeln!(out, "{what}: {value}");
        }
        for table in &self.tables {
            let _ = writeln!(out, "\n{}\n", table.title);
            let _ = writeln!(out, "| {} |", table.columns.join(" | "));
            // Numbers align right, text left, judged by the first row.
            let align: Vec<&str> = (0..table.columns.len())
                .map(|i| match table.rows.first().and_then(|r| r.get(i)) {
                    Some(Cell::Number { .. }) => "---:",
                    _ => "---",
                })
                .collect();
            let _ = writeln!(out, "|{}|", align.join("|"));
            for row in &table.rows {
                let cells: Vec<String> = row.iter().map(Cell::markdown).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            for note in &table.notes {
                let _ = writeln!(out, "\n{note}");
            }
        }
        out
    }

    /// The report as one JSON object: `suite`, `unix_time`, `context` and `tables`, each row an
    /// object keyed by column.
    pub fn json(&self, suite: &str) -> String {
        let tables: Vec<JsonTable> = self
            .tables
            .iter()
            .map(|t| JsonTable {
                title: t.title.clone(),
                rows: t.rows.iter().map(|r| t.columns.iter().cloned().zip(r.iter().map(Cell::json)).collect()).collect(),
                notes: t.notes.clone(),
            })
            .collect();
        let context: Map<String, Value> = self.context.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        let unix_time = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let value = json!({ "suite": suite, "unix_time": unix_time, "context": context, "tables": tables });
        serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_print_as_markdown_and_as_json_keyed_by_column() {
        let mut report = Report::default();
        report.context("adapter", "llvmpipe");
        let mut table = Table::new("z-composite", &["layers", "median ms"]);
        table.row(vec![text("1"), num(12.345, 2)]);
        table.row(vec![text("8"), num(f64::NAN, 2)]);
        table.note("ratios are p50 over p50");
        report.tables.push(table);
        let md = report.markdown();
        assert!(md.contains("adapter: llvmpipe\n"), "{md}");
        assert!(md.contains("| layers | median ms |\n|---|---:|\n| 1 | 12.35 |\n| 8 | – |\n"), "{md}");
        let json: Value = serde_json::from_str(&report.json("compositor")).unwrap();
        assert_eq!(json["suite"], "compositor");
        assert_eq!(json["tables"][0]["rows"][0]["median ms"], 12.345);
        assert_eq!(json["tables"][0]["rows"][1]["median ms"], Value::Null);
        assert_eq!(json["context"]["adapter"], "llvmpipe");
    }
}
