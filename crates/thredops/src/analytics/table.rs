//! One shape for every exportable table or series: named columns and rows of JSON scalars, so the
//! CSV and the JSON export of a table are the same data by construction.

use serde::Serialize;
use serde_json::{Map, Value};

/// A table of scalar cells.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Table {
    /// Column names.
    pub columns: Vec<&'static str>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(columns: &[&'static str]) -> Self {
        Self {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<Value>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }

    /// The rows as JSON objects keyed by column.
    pub fn to_json(&self) -> Value {
        Value::Array(
            self.rows
                .iter()
                .map(|row| {
                    let object: Map<String, Value> = self
                        .columns
                        .iter()
                        .zip(row)
                        .map(|(c, v)| ((*c).to_owned(), v.clone()))
                        .collect();
                    Value::Object(object)
                })
                .collect(),
        )
    }

    /// RFC 4180 CSV with a header row; null is an empty cell.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(|v| csv_cell(&cell_text(v))).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// The text of a cell as CSV and the HTML fallback tables show it.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn csv_cell(s: &str) -> String {
    // A leading =, +, - or @ would be run as a formula by spreadsheets: quote it with a tick.
    let s = if s.starts_with(['=', '+', '@']) || (s.starts_with('-') && s.parse::<f64>().is_err()) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_quotes_commas_quotes_and_formulas() {
        let mut t = Table::new(&["text", "views", "rate"]);
        t.push(vec![json!("a, \"b\""), json!(3), Value::Null]);
        t.push(vec![json!("=cmd()"), json!(-2), json!(1.5)]);
        assert_eq!(
            t.to_csv(),
            "text,views,rate\r\n\"a, \"\"b\"\"\",3,\r\n'=cmd(),-2,1.5\r\n"
        );
        assert_eq!(t.to_json()[1]["views"], -2);
    }
}
