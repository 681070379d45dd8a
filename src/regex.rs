//! Patterns for the REGEXP function behind `__regex` and `__iregex`, compiled
//! by the `regex` crate within limits, so a pattern from a URL can neither
//! crash the process nor stall a connection; Python `re.search` semantics
//! (as Django's SQLite backend has) where the crate allows.
//!
//! The crate matches in time linear in the text for a compiled pattern, and
//! the limits below bound the compiled pattern: nesting (its parser keeps
//! its own stack, so depth costs no thread stack), the size of the compiled
//! program, and the memory of the lazy DFA. Differences from Python's `re`:
//! back-references and look-around are refused (they need backtracking),
//! `\Z` is spelled `\z`, `{,n}` is spelled `{0,n}`, and a `{` that does not
//! start a count must be escaped. Unicode classes are large once compiled,
//! so `\w{1,50}` is over the size limit where `\w+` is not.

use std::fmt;

/// Deepest nesting of groups, classes and repetitions a pattern may have.
pub const NEST_LIMIT: u32 = 64;
/// Largest compiled program (the crate's `size_limit`), in bytes. Counted
/// repetitions are unrolled, so this is what bounds `.{0,1000}` chains.
pub const SIZE_LIMIT: usize = 256 * 1024;
/// Cache of the lazy DFA (the crate's `dfa_size_limit`), per pattern, in bytes.
pub const DFA_SIZE_LIMIT: usize = 1024 * 1024;
/// Longest pattern, in characters: the limits above bound the compiled
/// program, not the work of reaching it (a 1 MB pattern took 0.9 s to parse
/// and translate before the size limit refused it).
pub const MAX_PATTERN_CHARS: usize = 1000;
/// What every refusal's message starts with; the error layer knows a bad
/// pattern met at run time by it.
pub const ERROR_PREFIX: &str = "invalid regular expression: ";

/// A pattern the engine refuses, with a one-line reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RegexError(pub String);

impl std::error::Error for RegexError {}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ERROR_PREFIX}{}", self.0)
    }
}

/// A compiled pattern, matched against the bytes of SQLite text.
#[derive(Debug, Clone)]
pub struct Regex {
    inner: regex::bytes::Regex,
    /// Whether the pattern has a `$` that Python would let match before a
    /// final newline.
    dollar: bool,
}

impl Regex {
    /// Compiles `pattern`, or says in one line why it is refused (a syntax
    /// error with its position, or a pattern over the limits above).
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        let ast = parse(pattern)?;
        regex_syntax::hir::translate::Translator::new()
            .translate(pattern, &ast)
            .map_err(|e| syntax_error(pattern, &regex_syntax::Error::Translate(e)))?;
        let inner = regex::bytes::RegexBuilder::new(pattern)
            .nest_limit(NEST_LIMIT)
            .size_limit(SIZE_LIMIT)
            .dfa_size_limit(DFA_SIZE_LIMIT)
            .build()
            .map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => RegexError(format!(
                    "the pattern is too large once compiled (over {} KB): use fewer or smaller counted repetitions {{m,n}}, or + and *",
                    limit / 1024
                )),
                other => RegexError(other.to_string().lines().last().unwrap_or("").to_owned()),
            })?;
        Ok(Regex {
            inner,
            dollar: pattern.contains('$'),
        })
    }

    /// Whether the pattern matches anywhere in `text` (Python's `re.search`).
    /// Text that is not valid UTF-8 is searched as is: an invalid byte
    /// matches no pattern character (not even `.`), the rest match as usual.
    pub fn is_match(&self, text: &[u8]) -> bool {
        if self.inner.is_match(text) {
            return true;
        }
        // Python's `$` (without MULTILINE) also matches just before a final
        // newline: that is the crate's `$` on the text without it.
        self.dollar
            && text
                .strip_suffix(b"\n")
                .is_some_and(|head| self.inner.is_match(head))
    }
}

/// Checks a pattern's syntax, its length and its nesting: work linear in the
/// pattern, cheap enough for the JS thread. What only compiling shows
/// (unknown Unicode classes, a program over the size limit) is found where
/// the pattern is compiled, on the thread that runs the query: translating
/// big classes under `(?i)` costs milliseconds each (`(?i)[\w\W]` ten
/// times took 62 ms), which the JS thread must not pay for a URL.
pub fn check(pattern: &str) -> Result<(), RegexError> {
    parse(pattern).map(|_| ())
}

/// The pattern's syntax tree, or why it is refused: too long, a syntax
/// error with its position, nesting over NEST_LIMIT, or what Python refuses.
fn parse(pattern: &str) -> Result<regex_syntax::ast::Ast, RegexError> {
    if pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(RegexError(format!(
            "the pattern is longer than {MAX_PATTERN_CHARS} characters"
        )));
    }
    // The crate's own syntax errors quote the whole pattern over several
    // lines; parsing first gives a one-line reason and a position.
    let ast = regex_syntax::ast::parse::ParserBuilder::new()
        .nest_limit(NEST_LIMIT)
        .build()
        .parse(pattern)
        .map_err(|e| syntax_error(pattern, &regex_syntax::Error::Parse(e)))?;
    regex_syntax::ast::visit(&ast, PythonRepeats).map_err(|span| {
        RegexError(format!(
            "{} (at character {})",
            span.1,
            position(pattern, span.0)
        ))
    })?;
    Ok(ast)
}

/// Refuses what Python's `re` refuses and the crate would accept: a
/// repetition of a repetition (`a**`, "multiple repeat") or of an anchor
/// (`^*`, "nothing to repeat"). The error is the operator's start and reason.
struct PythonRepeats;

impl regex_syntax::ast::Visitor for PythonRepeats {
    type Output = ();
    type Err = (usize, &'static str);

    fn finish(self) -> Result<(), Self::Err> {
        Ok(())
    }

    fn visit_pre(&mut self, ast: &regex_syntax::ast::Ast) -> Result<(), Self::Err> {
        use regex_syntax::ast::Ast;
        if let Ast::Repetition(rep) = ast {
            let reason = match *rep.ast {
                Ast::Repetition(_) => "multiple repeat",
                Ast::Assertion(_) | Ast::Empty(_) | Ast::Flags(_) => "nothing to repeat",
                _ => return Ok(()),
            };
            return Err((rep.op.span.start.offset, reason));
        }
        Ok(())
    }
}

/// The 1-based character position of byte `offset` in `pattern`.
fn position(pattern: &str, offset: usize) -> usize {
    pattern.get(..offset).map_or(0, |head| head.chars().count()) + 1
}

/// One line: what is wrong and at which character (1-based).
fn syntax_error(pattern: &str, err: &regex_syntax::Error) -> RegexError {
    let (kind, span) = match err {
        regex_syntax::Error::Parse(e) => (e.kind().to_string(), *e.span()),
        regex_syntax::Error::Translate(e) => (e.kind().to_string(), *e.span()),
        other => return RegexError(other.to_string()),
    };
    RegexError(format!(
        "{kind} (at character {})",
        position(pattern, span.start.offset)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn m(pattern: &str, text: &str) -> bool {
        Regex::new(pattern).unwrap().is_match(text.as_bytes())
    }

    #[test]
    fn searches_like_python_re_search() {
        // Each line's answer is what Python's re.search gives.
        assert!(m("b", "abc"));
        assert!(!m("^b", "abc"));
        assert!(m("^a.c$", "abc"));
        assert!(
            m("c$", "abc\n"),
            "Python's $ matches before a final newline"
        );
        assert!(!m("c$", "abc\n\n"));
        assert!(!m("^$", "\n\n"));
        assert!(m("^$", "\n"));
        assert!(!m("a.c", "a\nc"), ". does not match a newline");
        assert!(m("colou?r", "my color"));
        assert!(m("^(ab)+$", "ababab"));
        assert!(!m("^(ab)+$", "ababa"));
        assert!(m("^a{2,3}$", "aaa"));
        assert!(!m("^a{2,3}$", "aaaa"));
        assert!(m("^a{2}$", "aa"));
        assert!(m("^x{0,2}$", "x"));
        assert!(m("^(?:cat|dog)s?$", "dogs"));
        assert!(m("^(?P<pet>cat|dog)$", "cat"));
        assert!(m(r"^\d{3}-\d{4}$", "555-1234"));
        assert!(
            m(r"^\d+$", "٣٤"),
            "\\d is Unicode, as for Python str patterns"
        );
        assert!(m(r"\bfoo\b", "a foo b"));
        assert!(!m(r"\bfoo\b", "afoob"));
        assert!(m(r"^[A-Za-z_]\w*$", "snake_case9"));
        assert!(m(r"^\w+$", "naïve"));
        assert!(m(r"^[^aeiou]+$", "rhythm"));
        assert!(m(r"^[\d.]+$", "3.14"));
        assert!(m(r"\.", "a.b"));
        assert!(!m(r"\.", "ab"));
        assert!(m("a.*?b", "axxb"));
        assert!(m("", "anything"));
        assert!(m("x*", ""));
        assert!(m("[]a]", "]"), "a leading ] is a member");
        assert!(m("[a-]", "-"));
        assert!(m("a\0b", "xa\0by"), "NUL is an ordinary character");
    }

    #[test]
    fn case_insensitive_folds_unicode() {
        assert!(m("(?i)antônio", "ANTÔNIO CARLOS"));
        assert!(!m("antônio", "ANTÔNIO"));
        assert!(m("(?i)^[a-z]+$", "ECOLE"));
        assert!(m("(?i)straße", "STRAßE"));
        assert!(m("(?i)[é]", "É"));
    }

    #[test]
    fn text_that_is_not_utf8_is_searched_not_refused() {
        let re = Regex::new("^ab").unwrap();
        assert!(re.is_match(b"ab\xff"));
        assert!(!re.is_match(b"\xffab"));
        assert!(Regex::new("b$").unwrap().is_match(b"\xffab\n"));
    }

    #[test]
    fn mistakes_are_one_line_errors_with_a_position() {
        for bad in [
            "(",
            ")",
            "[a",
            "*a",
            "a**",
            "a+*",
            "^*",
            r"\b+",
            "a{5,2}",
            "[z-a]",
            r"\1",
            "(?=a)",
            "(?<!a)b",
            r"\q",
            r"\p{Nope}",
        ] {
            let err = Regex::new(bad).expect_err(bad);
            assert!(!err.to_string().contains('\n'), "{bad}: {err}");
            assert!(err.to_string().starts_with("invalid regular expression: "));
        }
        let err = Regex::new("ab(cd").unwrap_err();
        assert_eq!(err.0, "unclosed group (at character 3)");
        assert_eq!(
            Regex::new("é+*").unwrap_err().0,
            "multiple repeat (at character 3)"
        );
        // Repeating a group or a lazy repetition is fine, as in Python.
        assert!(m("^(?:a*)*$", "aa"));
        assert!(m("^a*?$", "aa"));
    }

    #[test]
    fn hostile_patterns_are_refused_or_stay_linear() {
        // Deep nesting: refused by the parser, whose stack is on the heap,
        // even on a thread with a small stack (readers use the default).
        let deep = "(".repeat(20_000) + &")".repeat(20_000);
        let on_small_stack = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || Regex::new(&deep).map(|_| ()))
            .unwrap()
            .join()
            .unwrap();
        let err = on_small_stack.unwrap_err();
        assert!(err.0.contains("longer than 1000"), "{err}");
        let deep = "(".repeat(400) + &")".repeat(400);
        let err = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || Regex::new(&deep).map(|_| ()))
            .unwrap()
            .join()
            .unwrap()
            .unwrap_err();
        assert!(err.0.contains("nest"), "{err}");
        assert!(Regex::new(&("(".repeat(65) + &")".repeat(65))).is_err());
        assert!(Regex::new(&("(".repeat(60) + &")".repeat(60))).is_ok());
        // Counted repetitions that would unroll into a huge program.
        let err = Regex::new(&(".{0,1000}".repeat(24) + "X")).unwrap_err();
        assert!(err.0.contains("too large"), "{err}");
        assert!(Regex::new("a{1000000}").is_err());
        // The cost before any size limit is bounded by the pattern's length,
        // and the check for the JS thread only parses.
        assert!(Regex::new(&"a".repeat(1001))
            .unwrap_err()
            .0
            .contains("longer than"));
        assert!(Regex::new(&"a".repeat(1000)).is_ok());
        let folded = format!("(?i){}", r"[\x00-\x{10FFFF}]".repeat(45));
        let started_check = Instant::now();
        assert!(check(&folded).is_ok());
        assert!(check(&"(".repeat(65)).is_err());
        assert!(check("a**").is_err());
        assert!(started_check.elapsed() < Duration::from_millis(50));

        // Catastrophic for a backtracking engine; linear here.
        let text = "a".repeat(50_000) + "!";
        let started = Instant::now();
        assert!(!m("^(a+)+$", &text));
        assert!(!m("^(a|a)*$", &text));
        // Near the size limit: the slowest family measured (about 1 ms a
        // 1,500-character row in a release build).
        assert!(!m(&("[^x]{0,50}".repeat(5) + "X"), &"y".repeat(1500)));
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
