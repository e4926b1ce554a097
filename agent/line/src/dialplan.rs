//! Dial plans (digit maps) in the syntax integrators know from analog telephone adapters.
//!
//! A dial plan is a list of patterns separated by `|`, optionally enclosed in `{ }` or `( )`:
//!
//! ```text
//! { [3469]11 | 0 | 00 | [2-9]xxxxxx | 1xxx[2-9]xxxxxx | *xx | x+T }
//! ```
//!
//! | element        | meaning                                                              |
//! |----------------|----------------------------------------------------------------------|
//! | `0`-`9` `*` `#` | that key                                                             |
//! | `x` / `X`      | any digit `0`-`9`                                                    |
//! | `[2-9*]`       | one key of the set (digits, ranges, `*`, `#`)                        |
//! | `.`            | zero or more of the element before it (Cisco/Polycom)                |
//! | `+`            | one or more of the element before it                                 |
//! | `T`            | at the end: complete only when the inter-digit timer expires         |
//! | `!`            | at the end: barred — a number that matches is refused (reorder tone) |
//! | `<9:>` `<:1>`  | substitution: replace the keys on the left with the text on the right |
//!
//! Whitespace is ignored. Matching follows the rules ATAs use:
//!
//! * a number that fully matches a pattern and cannot be extended by any pattern is
//!   complete **immediately** (patterns ending in `T` are ignored for this: they complete
//!   only on the timer, so a catch-all `x+T` never holds back another match);
//! * a number that fully matches one pattern but could still grow into another waits for the
//!   **short** inter-digit timer, then completes;
//! * a number that is only a prefix of some pattern waits for the **long** inter-digit timer,
//!   and is refused if it expires;
//! * a number that no pattern can match is refused at once;
//! * a barred (`!`) full match is refused, and takes precedence over other full matches.
//!
//! ```
//! use tipring_line::dialplan::{DialPlan, Verdict};
//! let plan: DialPlan = "{ [3469]11 | 0 | 00 | [2-9]xxxxxx | *xx | x+T }".parse().unwrap();
//! assert_eq!(plan.evaluate("*69"), Verdict::Complete("*69".into()));
//! assert_eq!(plan.evaluate("0"), Verdict::CompleteAfterShortTimer("0".into()));
//! assert_eq!(plan.evaluate("55"), Verdict::CompleteAfterShortTimer("55".into()));
//! ```

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The keys a pattern can match, as a bit set over `0123456789*#ABCD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeySet(u16);

const KEYS: &str = "0123456789*#ABCD";

fn key_index(c: char) -> Option<u16> {
    KEYS.find(c.to_ascii_uppercase()).map(|i| i as u16)
}

impl KeySet {
    const DIGITS: KeySet = KeySet(0x03ff);

    fn single(c: char) -> Option<KeySet> {
        key_index(c).map(|i| KeySet(1 << i))
    }

    fn contains(self, c: char) -> bool {
        key_index(c).is_some_and(|i| self.0 & (1 << i) != 0)
    }
}

/// One step of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// Consumes one key of the set; `star` means "zero or more times".
    Key {
        set: KeySet,
        star: bool,
        subst: Option<usize>,
    },
    /// Consumes nothing and emits text (the right side of `<:text>`).
    Insert(String),
}

/// One alternative of a dial plan.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    /// The pattern as written (for logs and events).
    source: String,
    items: Vec<Item>,
    /// Replacement text per substitution group (`<left:right>`).
    replacements: Vec<String>,
    /// `T`: complete on the inter-digit timer only.
    timer: bool,
    /// `!`: a full match is refused.
    barred: bool,
}

/// What the dial plan says about the keys dialled so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Dial this number now (after substitutions).
    Complete(String),
    /// This number is complete if no further key arrives before the short inter-digit timer.
    CompleteAfterShortTimer(String),
    /// More keys are needed; wait for the long inter-digit timer, then refuse.
    Incomplete,
    /// The number is refused: no pattern can match, or the match is barred.
    Rejected(RejectReason),
}

/// Why a dialled number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectReason {
    /// No pattern matches these keys.
    NoMatch,
    /// A barred (`!`) pattern matches.
    Barred,
    /// The inter-digit timer expired on an incomplete number.
    Incomplete,
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RejectReason::NoMatch => "no pattern of the dial plan matches",
            RejectReason::Barred => "the number is barred by the dial plan",
            RejectReason::Incomplete => "the number is incomplete",
        })
    }
}

/// A parsed dial plan. Build it with [`str::parse`]; see the module docs for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPlan {
    source: String,
    patterns: Vec<Pattern>,
}

impl Default for DialPlan {
    /// `x+T`: any number, completed by the inter-digit timer (or `#`).
    fn default() -> Self {
        "x+T".parse().expect("the default dial plan parses")
    }
}

impl fmt::Display for DialPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Longest dial plan text accepted, in bytes (inputs are bounded).
pub const MAX_PLAN_LEN: usize = 4096;
/// Most keys a dialled number may have.
pub const MAX_NUMBER_LEN: usize = 32;

impl FromStr for DialPlan {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        if text.len() > MAX_PLAN_LEN {
            return Err(Error::DialPlan {
                position: MAX_PLAN_LEN,
                message: format!("longer than {MAX_PLAN_LEN} bytes"),
            });
        }
        let trimmed = text.trim();
        let (body, offset) = match (trimmed.chars().next(), trimmed.chars().last()) {
            (Some('{'), Some('}')) | (Some('('), Some(')')) if trimmed.len() >= 2 => (
                &trimmed[1..trimmed.len() - 1],
                text.find(trimmed).unwrap_or(0) + 1,
            ),
            (Some('{' | '('), _) => {
                return Err(Error::DialPlan {
                    position: text.len(),
                    message: "the opening bracket is never closed".into(),
                })
            }
            _ => (trimmed, text.find(trimmed).unwrap_or(0)),
        };
        let mut patterns = Vec::new();
        let mut start = 0;
        for part in body.split('|') {
            patterns.push(parse_pattern(part, offset + start)?);
            start += part.len() + 1;
        }
        Ok(DialPlan {
            source: trimmed.to_string(),
            patterns,
        })
    }
}

fn parse_pattern(text: &str, offset: usize) -> Result<Pattern> {
    let err = |i: usize, message: &str| Error::DialPlan {
        position: offset + i,
        message: message.to_string(),
    };
    let mut items: Vec<Item> = Vec::new();
    let mut replacements = Vec::new();
    let mut timer = false;
    let mut barred = false;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        k += 1;
        if c.is_whitespace() {
            continue;
        }
        if timer || barred {
            return Err(err(i, "nothing may follow `T` or `!`"));
        }
        match c {
            'x' | 'X' => items.push(Item::Key {
                set: KeySet::DIGITS,
                star: false,
                subst: None,
            }),
            '[' => {
                let mut set = 0u16;
                let mut prev: Option<char> = None;
                let mut closed = false;
                while k < chars.len() {
                    let (j, d) = chars[k];
                    k += 1;
                    match d {
                        ']' => {
                            closed = true;
                            break;
                        }
                        '-' => {
                            let lo = prev.ok_or_else(|| err(j, "a range needs a start"))?;
                            let (jh, hi) =
                                *chars.get(k).ok_or_else(|| err(j, "a range needs an end"))?;
                            k += 1;
                            if !lo.is_ascii_digit() || !hi.is_ascii_digit() || hi < lo {
                                return Err(err(jh, "a range must be digits in rising order"));
                            }
                            for r in lo..=hi {
                                set |= KeySet::single(r).map_or(0, |s| s.0);
                            }
                            prev = None;
                        }
                        d if d.is_whitespace() => {}
                        d => {
                            let s = KeySet::single(d)
                                .ok_or_else(|| err(j, "only keys and ranges may stand in [ ]"))?;
                            set |= s.0;
                            prev = Some(d);
                        }
                    }
                }
                if !closed {
                    return Err(err(i, "`[` is never closed"));
                }
                if set == 0 {
                    return Err(err(i, "an empty key set matches nothing"));
                }
                items.push(Item::Key {
                    set: KeySet(set),
                    star: false,
                    subst: None,
                });
            }
            '.' | '+' => match items.last_mut() {
                Some(Item::Key {
                    star: star @ false,
                    subst: None,
                    ..
                }) => {
                    if c == '.' {
                        *star = true;
                    } else {
                        // a+ == a a.
                        let mut again = items.last().cloned().expect("just matched");
                        if let Item::Key { star, .. } = &mut again {
                            *star = true;
                        }
                        items.push(again);
                    }
                }
                _ => return Err(err(i, "`.` and `+` must follow a key, `x` or `[...]`")),
            },
            'T' | 't' => timer = true,
            '!' => barred = true,
            '<' => {
                let group = replacements.len();
                let mut left = Vec::new();
                let mut right = String::new();
                let mut in_right = false;
                let mut closed = false;
                while k < chars.len() {
                    let (j, d) = chars[k];
                    k += 1;
                    match d {
                        '>' => {
                            closed = true;
                            break;
                        }
                        ':' if !in_right => in_right = true,
                        d if d.is_whitespace() => {}
                        d if in_right => {
                            if KeySet::single(d).is_none() && d != '+' {
                                return Err(err(j, "a replacement may hold keys and `+` only"));
                            }
                            right.push(d);
                        }
                        d => {
                            let set = KeySet::single(d).ok_or_else(|| {
                                err(j, "the left side of `<:>` may hold keys only")
                            })?;
                            left.push(Item::Key {
                                set,
                                star: false,
                                subst: Some(group),
                            });
                        }
                    }
                }
                if !closed || !in_right {
                    return Err(err(i, "a substitution is written `<keys:replacement>`"));
                }
                if left.is_empty() {
                    items.push(Item::Insert(right));
                } else {
                    items.extend(left);
                    replacements.push(right);
                    continue;
                }
                replacements.push(String::new());
            }
            c if KeySet::single(c).is_some() && !matches!(c, 'a'..='d') => {
                let set = KeySet::single(c).expect("checked");
                items.push(Item::Key {
                    set,
                    star: false,
                    subst: None,
                });
            }
            _ => return Err(err(i, &format!("`{c}` is not dial plan syntax"))),
        }
    }
    if !items.iter().any(|it| matches!(it, Item::Key { .. })) {
        return Err(err(0, "an empty pattern matches nothing"));
    }
    Ok(Pattern {
        source: text.trim().to_string(),
        items,
        replacements,
        timer,
        barred,
    })
}

/// NFA states reached after some keys: a sorted list of item positions.
type States = Vec<usize>;

impl Pattern {
    /// Adds the epsilon closure of position `i` (skipping starred items and inserts).
    fn close(&self, i: usize, out: &mut States) {
        if out.contains(&i) {
            return;
        }
        out.push(i);
        match self.items.get(i) {
            Some(Item::Key { star: true, .. }) | Some(Item::Insert(_)) => self.close(i + 1, out),
            _ => {}
        }
    }

    fn run(&self, keys: &str) -> States {
        let mut states = Vec::new();
        self.close(0, &mut states);
        for c in keys.chars() {
            let mut next = Vec::new();
            for &i in &states {
                if let Some(Item::Key { set, star, .. }) = self.items.get(i) {
                    if set.contains(c) {
                        self.close(if *star { i } else { i + 1 }, &mut next);
                    }
                }
            }
            states = next;
            if states.is_empty() {
                break;
            }
        }
        states
    }

    /// (full match, can still grow)
    fn classify(&self, keys: &str) -> (bool, bool) {
        let states = self.run(keys);
        let full = states.contains(&self.items.len());
        let grows = states
            .iter()
            .any(|&i| matches!(self.items.get(i), Some(Item::Key { .. })));
        (full, grows)
    }

    /// The number to dial for `keys` (which fully match): keys with substitutions applied.
    fn rewrite(&self, keys: &str) -> String {
        let keys: Vec<char> = keys.chars().collect();
        let mut out = String::new();
        if self.walk(0, &keys, 0, None, &mut out) {
            out
        } else {
            keys.iter().collect()
        }
    }

    /// Depth-first search for an accepting path, emitting output along it.
    fn walk(
        &self,
        i: usize,
        keys: &[char],
        j: usize,
        group: Option<usize>,
        out: &mut String,
    ) -> bool {
        if i == self.items.len() {
            return j == keys.len();
        }
        let mark = out.len();
        match &self.items[i] {
            Item::Insert(text) => {
                out.push_str(text);
                if self.walk(i + 1, keys, j, None, out) {
                    return true;
                }
            }
            Item::Key { set, star, subst } => {
                if j < keys.len() && set.contains(keys[j]) {
                    match subst {
                        Some(g) if group != Some(*g) => out.push_str(&self.replacements[*g]),
                        Some(_) => {}
                        None => out.push(keys[j]),
                    }
                    let next = if *star { i } else { i + 1 };
                    if self.walk(next, keys, j + 1, *subst, out) {
                        return true;
                    }
                    out.truncate(mark);
                }
                if *star && self.walk(i + 1, keys, j, None, out) {
                    return true;
                }
            }
        }
        out.truncate(mark);
        false
    }
}

impl DialPlan {
    /// The dial plan as written (trimmed).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// What to do with the keys dialled so far.
    pub fn evaluate(&self, keys: &str) -> Verdict {
        if keys.chars().count() > MAX_NUMBER_LEN {
            return Verdict::Rejected(RejectReason::NoMatch);
        }
        // Patterns marked `T` complete only on the timer, so they never hold back an
        // immediate match of an untimed pattern (a catch-all `x+T` would otherwise delay
        // every number).
        let mut full: Option<&Pattern> = None;
        let mut full_timed: Option<&Pattern> = None;
        let mut barred = false;
        let mut grows_untimed = false;
        let mut grows = false;
        for p in &self.patterns {
            let (f, g) = p.classify(keys);
            if f && p.barred {
                barred = true;
            } else if f && p.timer {
                full_timed = full_timed.or(Some(p));
            } else if f {
                full = full.or(Some(p));
            }
            grows |= g;
            grows_untimed |= g && !p.timer;
        }
        if barred {
            return Verdict::Rejected(RejectReason::Barred);
        }
        match (full, full_timed) {
            (Some(p), _) if !grows_untimed => Verdict::Complete(p.rewrite(keys)),
            (Some(p), _) | (None, Some(p)) => Verdict::CompleteAfterShortTimer(p.rewrite(keys)),
            (None, None) if grows => Verdict::Incomplete,
            (None, None) => Verdict::Rejected(RejectReason::NoMatch),
        }
    }

    /// The verdict when the inter-digit timer expires with `keys` dialled.
    pub fn on_timeout(&self, keys: &str) -> Verdict {
        match self.evaluate(keys) {
            Verdict::CompleteAfterShortTimer(n) | Verdict::Complete(n) => Verdict::Complete(n),
            Verdict::Incomplete => Verdict::Rejected(RejectReason::Incomplete),
            v @ Verdict::Rejected(_) => v,
        }
    }

    /// The verdict when the caller ends dialling with `#` (if the plan does not use `#`
    /// itself at that point): dial now whatever fully matches, else refuse.
    pub fn on_terminator(&self, keys: &str) -> Verdict {
        self.on_timeout(keys)
    }

    /// Whether `key` could be consumed by some pattern after `keys` (used to decide whether
    /// `#` is a key of the number or the end-of-dialling key).
    pub fn accepts_next(&self, keys: &str, key: char) -> bool {
        let mut probe = String::with_capacity(keys.len() + 1);
        probe.push_str(keys);
        probe.push(key);
        !matches!(
            self.evaluate(&probe),
            Verdict::Rejected(RejectReason::NoMatch)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NANP: &str = "{ [3469]11 | 0 | 00 | [2-9]xxxxxx | 1xxx[2-9]xxxxxx | *xx | x+T }";

    fn plan(s: &str) -> DialPlan {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn issue_example_plan() {
        let p = plan(NANP);
        // "911" matches `[3469]11` but could still grow into `[2-9]xxxxxx`: short timer
        // (as on Cisco ATAs); `x+T` never holds a number back.
        assert_eq!(
            p.evaluate("911"),
            Verdict::CompleteAfterShortTimer("911".into())
        );
        assert_eq!(
            p.evaluate("311"),
            Verdict::CompleteAfterShortTimer("311".into())
        );
        assert_eq!(
            p.evaluate("12"),
            Verdict::CompleteAfterShortTimer("12".into())
        );
        // "0" matches `0` but could grow into `00` or `x+T`.
        assert_eq!(
            p.evaluate("0"),
            Verdict::CompleteAfterShortTimer("0".into())
        );
        // `*xx` completes at once: nothing else starts with '*'.
        assert_eq!(p.evaluate("*72"), Verdict::Complete("*72".into()));
        assert_eq!(p.evaluate("*7"), Verdict::Incomplete);
        // seven digits complete `[2-9]xxxxxx` and no untimed pattern can grow: dial now.
        assert_eq!(p.evaluate("5551234"), Verdict::Complete("5551234".into()));
        assert_eq!(
            p.evaluate("14085551234"),
            Verdict::Complete("14085551234".into())
        );
        assert_eq!(p.on_timeout("555"), Verdict::Complete("555".into()));
        assert_eq!(p.evaluate("**"), Verdict::Rejected(RejectReason::NoMatch));
        assert_eq!(p.evaluate("***"), Verdict::Rejected(RejectReason::NoMatch));
    }

    #[test]
    fn immediate_match_without_catch_all() {
        let p = plan("( [3469]11 | 0 | 00 | [2-9]xxxxxx | 1xxx[2-9]xxxxxx )");
        assert_eq!(p.evaluate("5"), Verdict::Incomplete);
        assert_eq!(p.evaluate("555123"), Verdict::Incomplete);
        assert_eq!(p.evaluate("5551234"), Verdict::Complete("5551234".into()));
        assert_eq!(
            p.evaluate("14085551234"),
            Verdict::Complete("14085551234".into())
        );
        assert_eq!(
            p.evaluate("1408155"),
            Verdict::Rejected(RejectReason::NoMatch)
        );
        assert_eq!(p.evaluate("00"), Verdict::Complete("00".into()));
        assert_eq!(
            p.on_timeout("555"),
            Verdict::Rejected(RejectReason::Incomplete)
        );
        assert_eq!(p.evaluate("#"), Verdict::Rejected(RejectReason::NoMatch));
    }

    #[test]
    fn barred_takes_precedence() {
        let p = plan("{ 1900xxxxxxx! | 1xxxxxxxxxx }");
        assert_eq!(
            p.evaluate("19005551234"),
            Verdict::Rejected(RejectReason::Barred)
        );
        assert_eq!(
            p.evaluate("18005551234"),
            Verdict::Complete("18005551234".into())
        );
    }

    #[test]
    fn timer_patterns_wait() {
        let p = plan("{ 0T | 011x. }");
        assert_eq!(
            p.evaluate("0"),
            Verdict::CompleteAfterShortTimer("0".into())
        );
        assert_eq!(
            p.evaluate("011"),
            Verdict::CompleteAfterShortTimer("011".into())
        );
        assert_eq!(
            p.evaluate("0114420"),
            Verdict::CompleteAfterShortTimer("0114420".into())
        );
    }

    #[test]
    fn substitutions() {
        let p = plan("{ <9:>[2-9]xxxxxx | <:1408>[2-9]xxxxxx | <00:+>x. }");
        // 9 + seven digits: the 9 is stripped.
        assert_eq!(p.evaluate("95551234"), Verdict::Complete("5551234".into()));
        // seven digits: 1408 prepended.
        assert_eq!(
            p.evaluate("5551234"),
            Verdict::Complete("14085551234".into())
        );
        assert_eq!(
            p.on_timeout("00441234"),
            Verdict::Complete("+441234".into())
        );
    }

    #[test]
    fn plus_is_one_or_more() {
        let p = plan("*x+#");
        assert_eq!(p.evaluate("*"), Verdict::Incomplete);
        assert_eq!(p.evaluate("*#"), Verdict::Rejected(RejectReason::NoMatch));
        assert_eq!(p.evaluate("*12#"), Verdict::Complete("*12#".into()));
        assert!(p.accepts_next("*12", '#'));
        assert!(!p.accepts_next("*", '#'));
    }

    #[test]
    fn errors_name_the_position() {
        for (bad, pos) in [
            ("{ 911 | 9[1-", 12),
            ("{ 9y1 }", 3),
            ("x+T1", 3),
            ("{ 911", 5),
            ("[9-1]", 3),
            (".5", 0),
            ("{ 1 | }", 5),
            ("<9>xxx", 0),
        ] {
            match bad.parse::<DialPlan>() {
                Err(Error::DialPlan { position, .. }) => assert_eq!(position, pos, "{bad}"),
                other => panic!("{bad}: expected an error, got {other:?}"),
            }
        }
    }

    #[test]
    fn long_numbers_are_refused() {
        let p = plan("x.");
        assert_eq!(
            p.evaluate(&"1".repeat(MAX_NUMBER_LEN + 1)),
            Verdict::Rejected(RejectReason::NoMatch)
        );
        assert!("x".repeat(MAX_PLAN_LEN + 1).parse::<DialPlan>().is_err());
    }
}
