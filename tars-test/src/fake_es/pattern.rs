//! Wildcard patterns: `*` globs for index and template names, and the `wildcard` query's `*`,
//! `?` and `\` escapes.

/// One element of a compiled pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `*`: any run of characters, possibly empty.
    Any,
    /// `?`: exactly one character.
    One,
    /// A literal character.
    Lit(char),
}

/// Compiles a pattern; `full` enables `?` and `\` (query syntax), else only `*` is special.
fn compile(pattern: &str, full: bool) -> Vec<Token> {
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => Token::Any,
            '?' if full => Token::One,
            '\\' if full => Token::Lit(chars.next().unwrap_or('\\')),
            c => Token::Lit(c),
        });
    }
    tokens
}

/// Matches with backtracking to the last `*`: O(pattern × text) at worst, no recursion.
fn matches(tokens: &[Token], text: &[char]) -> bool {
    let (mut t, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < text.len() {
        match tokens.get(t) {
            Some(Token::Any) => {
                star = Some((t, s));
                t += 1;
            }
            Some(Token::One) => {
                t += 1;
                s += 1;
            }
            Some(Token::Lit(c)) if *c == text[s] => {
                t += 1;
                s += 1;
            }
            _ => match star {
                Some((star_t, star_s)) => {
                    t = star_t + 1;
                    s = star_s + 1;
                    star = Some((star_t, star_s + 1));
                }
                None => return false,
            },
        }
    }
    tokens[t..].iter().all(|token| *token == Token::Any)
}

/// Whether `name` matches an index-name pattern where `*` is any run of characters.
pub(crate) fn glob(pattern: &str, name: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == name;
    }
    let text: Vec<char> = name.chars().collect();
    matches(&compile(pattern, false), &text)
}

/// Whether `text` matches a `wildcard` query pattern: `*` any run, `?` any one character, `\`
/// escapes the next character.
pub(crate) fn wildcard(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let (pattern, text) = if case_insensitive {
        (pattern.to_lowercase(), text.to_lowercase())
    } else {
        (pattern.to_owned(), text.to_owned())
    };
    let text: Vec<char> = text.chars().collect();
    matches(&compile(&pattern, true), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_stars_only() {
        assert!(glob("logs-*", "logs-a"));
        assert!(glob("logs-*", "logs-"));
        assert!(glob("*", "x"));
        assert!(glob("a*b*c", "aXXbYc"));
        assert!(!glob("a*b*c", "aXXbY"));
        assert!(glob("tars_notify_", "tars_notify_"));
        assert!(!glob("tars_notify_", "tars_notify_x"));
        assert!(!glob("a?", "ab"));
    }

    #[test]
    fn wildcard_supports_question_mark_escapes_and_case() {
        assert!(wildcard("ab?d", "abcd", false));
        assert!(!wildcard("ab?d", "abd", false));
        assert!(wildcard("a\\*", "a*", false));
        assert!(!wildcard("a\\*", "ab", false));
        assert!(wildcard("*.Obj", "App.Server.Obj", false));
        assert!(wildcard("APP.*", "app.x", true));
        assert!(!wildcard("APP.*", "app.x", false));
        assert!(wildcard("*", "", false));
        assert!(!wildcard("?", "", false));
    }
}
