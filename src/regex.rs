//! The REGEXP function behind `__regex` and `__iregex`: a small regular
//! expression engine (Python `re.search` semantics for the common syntax,
//! as Django's SQLite backend has). It compiles to a program run as a Pike
//! VM: every position is tried by all threads at once, so matching takes
//! time linear in the text for a given pattern, whatever the pattern (a
//! filter value from a URL cannot stall the database with backtracking).
//!
//! Syntax: literals, `.`, `[...]` and `[^...]` with ranges, `\d \w \s \D
//! \W \S \b \B` and escaped punctuation, `^ $`, groups `(...)` `(?:...)`,
//! `|`, `* + ? {m} {m,} {m,n}` (and their lazy forms, which match the same
//! strings), and a leading `(?i)` for case-insensitive matching with
//! Unicode case folding. Back-references and look-around are refused.

use std::fmt;

/// Counted repetitions are unrolled; this bounds the program's size.
const MAX_REPEAT: u32 = 1000;
const MAX_PROGRAM: usize = 50_000;

#[derive(Debug, Clone, PartialEq)]
pub struct RegexError(pub String);

impl std::error::Error for RegexError {}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid regular expression: {}", self.0)
    }
}

#[derive(Debug, Clone)]
enum ClassItem {
    Range(char, char),
    Digit(bool),
    Word(bool),
    Space(bool),
}

#[derive(Debug, Clone)]
struct Class {
    negated: bool,
    items: Vec<ClassItem>,
}

#[derive(Debug, Clone)]
enum Node {
    Empty,
    Char(char),
    Any,
    Class(Class),
    Start,
    End,
    WordBoundary(bool),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat(Box<Node>, u32, Option<u32>),
}

#[derive(Debug, Clone)]
enum Inst {
    Char(char),
    Any,
    Class(Class),
    Start,
    End,
    WordBoundary(bool),
    Split(usize, usize),
    Jmp(usize),
    Match,
}

#[derive(Debug, Clone)]
pub struct Regex {
    program: Vec<Inst>,
    fold: bool,
}

struct Parser<'p> {
    chars: Vec<char>,
    at: usize,
    _pattern: &'p str,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn error<T>(&self, what: &str) -> Result<T, RegexError> {
        Err(RegexError(format!("{what} at position {}", self.at)))
    }

    fn alternation(&mut self) -> Result<Node, RegexError> {
        let mut branches = vec![self.concat()?];
        while self.eat('|') {
            branches.push(self.concat()?);
        }
        Ok(if branches.len() == 1 {
            branches.pop().expect("one branch")
        } else {
            Node::Alt(branches)
        })
    }

    fn concat(&mut self) -> Result<Node, RegexError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.quantified(atom)?);
        }
        Ok(match items.len() {
            0 => Node::Empty,
            1 => items.pop().expect("one item"),
            _ => Node::Concat(items),
        })
    }

    fn quantified(&mut self, atom: Node) -> Result<Node, RegexError> {
        let (min, max) = match self.peek() {
            Some(c @ ('*' | '+' | '?')) => {
                self.at += 1;
                match c {
                    '*' => (0, None),
                    '+' => (1, None),
                    _ => (0, Some(1)),
                }
            }
            Some('{') => match self.counted()? {
                Some(bounds) => bounds,
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        if matches!(atom, Node::Start | Node::End | Node::WordBoundary(_)) {
            return self.error("nothing to repeat");
        }
        // Lazy and greedy forms match the same strings; only which match is
        // reported differs, and REGEXP only asks whether there is one.
        self.eat('?');
        if matches!(self.peek(), Some('*' | '+' | '?')) || self.counted_ahead() {
            return self.error("multiple repeat");
        }
        Ok(Node::Repeat(Box::new(atom), min, max))
    }

    fn counted_ahead(&self) -> bool {
        if self.peek() != Some('{') {
            return false;
        }
        let rest: String = self.chars[self.at..].iter().take(24).collect();
        rest.find('}').is_some_and(|end| {
            let inner = &rest[1..end];
            !inner.is_empty() && inner.chars().all(|c| c.is_ascii_digit() || c == ',')
        })
    }

    /// `{m}`, `{m,}`, `{m,n}` (consumed), or None when the brace is a literal.
    fn counted(&mut self) -> Result<Option<(u32, Option<u32>)>, RegexError> {
        if !self.counted_ahead() {
            return Ok(None);
        }
        let start = self.at;
        self.at += 1;
        let mut text = String::new();
        while let Some(c) = self.peek() {
            self.at += 1;
            if c == '}' {
                break;
            }
            text.push(c);
        }
        let number = |s: &str| -> Result<u32, RegexError> {
            s.parse::<u32>()
                .ok()
                .filter(|n| *n <= MAX_REPEAT)
                .ok_or_else(|| {
                    RegexError(format!(
                        "repeat count over {MAX_REPEAT} at position {start}"
                    ))
                })
        };
        let bounds = match text.split_once(',') {
            None => {
                let n = number(&text)?;
                (n, Some(n))
            }
            Some((lo, "")) => (if lo.is_empty() { 0 } else { number(lo)? }, None),
            Some((lo, hi)) => (
                if lo.is_empty() { 0 } else { number(lo)? },
                Some(number(hi)?),
            ),
        };
        if bounds.1.is_some_and(|hi| hi < bounds.0) {
            return Err(RegexError(format!(
                "min repeat greater than max repeat at position {start}"
            )));
        }
        Ok(Some(bounds))
    }

    fn atom(&mut self) -> Result<Node, RegexError> {
        let c = self.peek().expect("caller checked");
        if c == '{' && self.counted_ahead() {
            return self.error("nothing to repeat");
        }
        self.at += 1;
        match c {
            '.' => Ok(Node::Any),
            '^' => Ok(Node::Start),
            '$' => Ok(Node::End),
            '[' => self.class(),
            '(' => {
                if self.eat('?') && !self.eat(':') {
                    return self.error("unsupported group (only (?:...) and a leading (?i))");
                }
                let inner = self.alternation()?;
                if !self.eat(')') {
                    return self.error("missing )");
                }
                Ok(inner)
            }
            '*' | '+' | '?' => self.error("nothing to repeat"),
            '\\' => self.escape(false).map(|item| match item {
                Escaped::Char(c) => Node::Char(c),
                Escaped::Item(item) => Node::Class(Class {
                    negated: false,
                    items: vec![item],
                }),
                Escaped::Boundary(b) => Node::WordBoundary(b),
            }),
            c => Ok(Node::Char(c)),
        }
    }

    fn escape(&mut self, in_class: bool) -> Result<Escaped, RegexError> {
        let Some(c) = self.peek() else {
            return self.error("bad escape (end of pattern)");
        };
        self.at += 1;
        Ok(match c {
            'd' => Escaped::Item(ClassItem::Digit(true)),
            'D' => Escaped::Item(ClassItem::Digit(false)),
            'w' => Escaped::Item(ClassItem::Word(true)),
            'W' => Escaped::Item(ClassItem::Word(false)),
            's' => Escaped::Item(ClassItem::Space(true)),
            'S' => Escaped::Item(ClassItem::Space(false)),
            'b' if !in_class => Escaped::Boundary(true),
            'B' if !in_class => Escaped::Boundary(false),
            'b' => Escaped::Char('\u{8}'),
            'n' => Escaped::Char('\n'),
            't' => Escaped::Char('\t'),
            'r' => Escaped::Char('\r'),
            'f' => Escaped::Char('\u{c}'),
            'v' => Escaped::Char('\u{b}'),
            '0' => Escaped::Char('\0'),
            c if c.is_ascii_alphanumeric() => {
                return Err(RegexError(format!(
                    "unsupported escape \\{c} at position {}",
                    self.at - 2
                )))
            }
            c => Escaped::Char(c),
        })
    }

    fn class(&mut self) -> Result<Node, RegexError> {
        let negated = self.eat('^');
        let mut items = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return self.error("unterminated character set");
            };
            if c == ']' && !first {
                self.at += 1;
                break;
            }
            first = false;
            self.at += 1;
            let low = if c == '\\' {
                match self.escape(true)? {
                    Escaped::Char(c) => c,
                    Escaped::Item(item) => {
                        items.push(item);
                        continue;
                    }
                    Escaped::Boundary(_) => unreachable!("no boundaries in a class"),
                }
            } else {
                c
            };
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|n| *n != ']') {
                self.at += 1;
                let hc = self.peek().expect("checked");
                self.at += 1;
                let high = if hc == '\\' {
                    match self.escape(true)? {
                        Escaped::Char(c) => c,
                        _ => return self.error("bad character range"),
                    }
                } else {
                    hc
                };
                if high < low {
                    return self.error("bad character range");
                }
                items.push(ClassItem::Range(low, high));
            } else {
                items.push(ClassItem::Range(low, low));
            }
        }
        Ok(Node::Class(Class { negated, items }))
    }
}

enum Escaped {
    Char(char),
    Item(ClassItem),
    Boundary(bool),
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// One lower-case form per character, for case-insensitive comparison.
fn fold(c: char) -> char {
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

impl ClassItem {
    fn matches(&self, c: char, folded: bool) -> bool {
        match *self {
            ClassItem::Range(lo, hi) => {
                (lo..=hi).contains(&c)
                    || (folded
                        && ((lo..=hi).contains(&fold(c))
                            || c.to_uppercase().any(|u| (lo..=hi).contains(&u))))
            }
            ClassItem::Digit(yes) => c.is_numeric() == yes,
            ClassItem::Word(yes) => is_word(c) == yes,
            ClassItem::Space(yes) => c.is_whitespace() == yes,
        }
    }
}

impl Class {
    fn matches(&self, c: char, folded: bool) -> bool {
        self.items.iter().any(|i| i.matches(c, folded)) != self.negated
    }
}

struct Emitter {
    program: Vec<Inst>,
}

impl Emitter {
    fn push(&mut self, inst: Inst) -> Result<usize, RegexError> {
        if self.program.len() >= MAX_PROGRAM {
            return Err(RegexError("pattern too large".into()));
        }
        self.program.push(inst);
        Ok(self.program.len() - 1)
    }

    fn emit(&mut self, node: &Node) -> Result<(), RegexError> {
        match node {
            Node::Empty => {}
            Node::Char(c) => {
                self.push(Inst::Char(*c))?;
            }
            Node::Any => {
                self.push(Inst::Any)?;
            }
            Node::Class(class) => {
                self.push(Inst::Class(class.clone()))?;
            }
            Node::Start => {
                self.push(Inst::Start)?;
            }
            Node::End => {
                self.push(Inst::End)?;
            }
            Node::WordBoundary(b) => {
                self.push(Inst::WordBoundary(*b))?;
            }
            Node::Concat(items) => {
                for item in items {
                    self.emit(item)?;
                }
            }
            Node::Alt(branches) => {
                let mut jumps = Vec::new();
                for (i, branch) in branches.iter().enumerate() {
                    if i + 1 < branches.len() {
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(branch)?;
                        jumps.push(self.push(Inst::Jmp(0))?);
                        let next = self.program.len();
                        self.program[split] = Inst::Split(split + 1, next);
                    } else {
                        self.emit(branch)?;
                    }
                }
                let end = self.program.len();
                for j in jumps {
                    self.program[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat(inner, min, max) => {
                for _ in 0..*min {
                    self.emit(inner)?;
                }
                match max {
                    None => {
                        // L: split body, out; body; jmp L
                        let split = self.push(Inst::Split(0, 0))?;
                        self.emit(inner)?;
                        self.push(Inst::Jmp(split))?;
                        let out = self.program.len();
                        self.program[split] = Inst::Split(split + 1, out);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.push(Inst::Split(0, 0))?);
                            self.emit(inner)?;
                        }
                        let out = self.program.len();
                        for s in splits {
                            self.program[s] = Inst::Split(s + 1, out);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

impl Regex {
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        let (fold, body) = match pattern.strip_prefix("(?i)") {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let mut parser = Parser {
            chars: body.chars().collect(),
            at: 0,
            _pattern: pattern,
        };
        let node = parser.alternation()?;
        if parser.at < parser.chars.len() {
            return parser.error("unbalanced parenthesis");
        }
        let mut emitter = Emitter {
            program: Vec::new(),
        };
        emitter.emit(&node)?;
        emitter.push(Inst::Match)?;
        Ok(Regex {
            program: emitter.program,
            fold,
        })
    }

    /// Whether the pattern matches anywhere in `text` (Python's `re.search`).
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let n = self.program.len();
        let mut current = Threads::new(n);
        let mut next = Threads::new(n);
        for at in 0..=chars.len() {
            // A new thread starts at every position: the search is unanchored.
            if self.add(&mut current, 0, at, &chars) {
                return true;
            }
            let Some(&c) = chars.get(at) else { break };
            next.clear();
            for &pc in &current.list {
                let ok = match &self.program[pc] {
                    Inst::Char(want) => *want == c || (self.fold && fold(*want) == fold(c)),
                    Inst::Any => c != '\n',
                    Inst::Class(class) => class.matches(c, self.fold),
                    _ => false,
                };
                if ok && self.add(&mut next, pc + 1, at + 1, &chars) {
                    return true;
                }
            }
            std::mem::swap(&mut current, &mut next);
        }
        false
    }

    /// Adds `pc` and what it reaches without consuming; true on a match.
    fn add(&self, threads: &mut Threads, pc: usize, at: usize, chars: &[char]) -> bool {
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if threads.seen[pc] == threads.generation {
                continue;
            }
            threads.seen[pc] = threads.generation;
            match &self.program[pc] {
                Inst::Match => return true,
                Inst::Jmp(to) => stack.push(*to),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Start => {
                    if at == 0 {
                        stack.push(pc + 1);
                    }
                }
                Inst::End => {
                    // Python's `$`: the end, or just before a final newline.
                    if at == chars.len() || (at + 1 == chars.len() && chars[at] == '\n') {
                        stack.push(pc + 1);
                    }
                }
                Inst::WordBoundary(want) => {
                    let before = at > 0 && is_word(chars[at - 1]);
                    let after = at < chars.len() && is_word(chars[at]);
                    if (before != after) == *want {
                        stack.push(pc + 1);
                    }
                }
                _ => threads.list.push(pc),
            }
        }
        false
    }
}

struct Threads {
    list: Vec<usize>,
    seen: Vec<u32>,
    generation: u32,
}

impl Threads {
    fn new(n: usize) -> Threads {
        Threads {
            list: Vec::new(),
            seen: vec![0; n],
            generation: 1,
        }
    }

    fn clear(&mut self) {
        self.list.clear();
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, text: &str) -> bool {
        Regex::new(pattern).unwrap().is_match(text)
    }

    #[test]
    fn searches_like_python_re_search() {
        assert!(m("b", "abc"));
        assert!(!m("^b", "abc"));
        assert!(m("^a.c$", "abc"));
        assert!(m("c$", "abc\n"));
        assert!(m("colou?r", "my color"));
        assert!(m("^(ab)+$", "ababab"));
        assert!(!m("^(ab)+$", "ababa"));
        assert!(m("^a{2,3}$", "aaa"));
        assert!(!m("^a{2,3}$", "aaaa"));
        assert!(m("^a{2}$", "aa"));
        assert!(m("^x{,2}$", "x"));
        assert!(m("a{x", "a{x"), "a brace that is not a count is literal");
        assert!(m("^(?:cat|dog)s?$", "dogs"));
        assert!(m(r"^\d{3}-\d{4}$", "555-1234"));
        assert!(m(r"\bfoo\b", "a foo b"));
        assert!(!m(r"\bfoo\b", "afoob"));
        assert!(m(r"^[A-Za-z_]\w*$", "snake_case9"));
        assert!(m(r"^[^aeiou]+$", "rhythm"));
        assert!(m(r"^[\d.]+$", "3.14"));
        assert!(m(r"\.", "a.b"));
        assert!(!m(r"\.", "ab"));
        assert!(m("a.*?b", "axxb"));
        assert!(m("", "anything"));
        assert!(m("x*", ""));
        assert!(m("[]a]", "]"), "a leading ] is a member");
        assert!(m("[a-]", "-"));
    }

    #[test]
    fn case_insensitive_folds_unicode() {
        assert!(m("(?i)antônio", "ANTÔNIO CARLOS"));
        assert!(!m("antônio", "ANTÔNIO"));
        assert!(m("(?i)^[a-z]+$", "ÉCOLE".replace('É', "E").as_str()));
        assert!(m("(?i)straße", "STRAßE"));
        assert!(m("(?i)[é]", "É"));
    }

    #[test]
    fn hostile_patterns_stay_linear_or_are_refused() {
        // Catastrophic for a backtracking engine; linear here.
        let text = "a".repeat(5000) + "!";
        let started = std::time::Instant::now();
        assert!(!m("^(a+)+$", &text));
        assert!(!m("^(a|a)*$", &text));
        assert!(started.elapsed().as_secs() < 2);
        for bad in [
            "(", ")", "[a", "a**", "*a", "a{5,2}", r"\1", "(?=a)", "(?P<n>a)", "a{1001}", r"\q",
            "^*",
        ] {
            assert!(Regex::new(bad).is_err(), "{bad}");
        }
    }
}
