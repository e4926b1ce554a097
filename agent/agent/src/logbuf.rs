//! The agent's recent output lines, kept for an Upload of `4 Vendor Log File`.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Lines kept.
const KEEP: usize = 2000;

static LINES: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// Keep a line (the oldest goes when full).
pub fn push(line: &str) {
    if let Ok(mut l) = LINES.lock() {
        if l.len() == KEEP {
            l.pop_front();
        }
        l.push_back(line.to_string());
    }
}

/// The kept lines, one per line.
pub fn recent() -> String {
    LINES
        .lock()
        .map(|l| l.iter().map(|s| format!("{s}\n")).collect())
        .unwrap_or_default()
}
