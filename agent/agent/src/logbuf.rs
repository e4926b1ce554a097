//! The agent's recent output lines, kept for an Upload of `4 Vendor Log File`.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Lines kept.
const KEEP: usize = 2000;

static LINES: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// Lines with this are for the console only, never kept (the admin pages' first-start
/// password): log uploads and export bundles must not carry them.
pub const CONSOLE_ONLY: &str = "first-start password for";

/// Keep a line (the oldest goes when full); console-only lines are not kept.
pub fn push(line: &str) {
    if line.contains(CONSOLE_ONLY) {
        return;
    }
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

#[cfg(test)]
mod tests {
    #[test]
    fn console_only_lines_are_not_kept() {
        super::push("admin pages: first-start password for `admin`: abcde-fghij (shown once)");
        super::push("a line to keep");
        let kept = super::recent();
        assert!(kept.contains("a line to keep"));
        assert!(!kept.contains("abcde-fghij"), "{kept}");
    }
}
