//! TarsCpp's `TC_Config` text format: the `profile` of a TARS server and the `content` of a
//! `TTemplate` (framework facts §3.3; TarsCpp `util/src/tc_config.cpp`).
//!
//! # Format
//!
//! The text is read line by line (split on LF). Each line is trimmed of spaces, CR, LF and
//! TAB; blank lines and lines starting with `#` are dropped. A line starting with `<` is a
//! tag: `<name>` opens a sub-domain of the current domain, `</name>` closes the current one
//! (anything after the first `>` on a tag line is ignored). Every other line is a parameter:
//! the first `=` not directly preceded by a backslash splits it into key and value, each
//! trimmed and then unescaped (`\\`, `\r`, `\n`, `\t`, `\=`; any other backslash, including a
//! trailing one, is an error). A line without such an `=` is a key with an empty value, and
//! a key with an empty value is printed bare. Text before the first domain belongs to the
//! root domain.
//!
//! # Compatibility choices (all as in the C++)
//!
//! - Parameters keep their order within a domain, but setting a key that already exists
//!   removes it and appends it at the end (`TC_ConfigDomain::setParamValue`).
//! - Sub-domains keep insertion order; only the top-level domains are serialised sorted
//!   byte-wise (`TC_Config::tostr` walks the root's map, `TC_ConfigDomain::tostr` the
//!   nested domains' insertion-order vector).
//! - Serialisation prints only the sub-domains of the root: root-level keys are lost. Tags
//!   are indented two spaces per nesting level (top-level tags in column 0), parameters one
//!   level deeper than their domain's tags, parameters before sub-domains. Keys, values and
//!   domain names are escaped; a `<` or `>` in any of them is an error.
//! - A domain's identity is the raw text between `<` and `>`, but its printed name and the
//!   name a closing tag must equal are that text trimmed (`< a >` is closed by `</a>`).
//!   Domain names are escaped on output but never unescaped on input.
//! - [`Config::merged_over`] is `joinConfig(parent, false)`: the parent's text followed by
//!   the child's text, re-parsed. Later lines win, so a key in both sides takes the child's
//!   value and moves after the parent-only keys.
//!
//! Deliberate divergence: domains may nest at most [`MAX_DEPTH`] levels (the C++ has no
//! limit but serialises recursively). Parsing, serialisation and comparison are iterative
//! and domains live in a flat arena, so hostile text can neither overflow the stack nor
//! make the work quadratic.

use std::collections::HashMap;

/// Deepest domain nesting [`Config::parse`] accepts.
pub const MAX_DEPTH: usize = 64;

/// Characters `TC_Common::trim` removes by default.
const TRIM: &[char] = &[' ', '\r', '\n', '\t'];
/// Longest piece of input quoted in an error message, in characters.
const SNIPPET_CHARS: usize = 80;
/// Arena index of the root domain.
const ROOT: usize = 0;

/// Why a text could not be parsed or a configuration could not be serialised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A line starts with `<` but has no `>`.
    #[error("config parse: line {line}: tag has no closing '>'")]
    UnterminatedTag {
        /// One-based line number.
        line: usize,
    },
    /// A closing tag appears while no domain is open.
    #[error("config parse: line {line}: closing tag </{name}> has no open domain")]
    UnbalancedClose {
        /// One-based line number.
        line: usize,
        /// The name in the closing tag.
        name: String,
    },
    /// A closing tag names another domain than the one open.
    #[error("config parse: line {line}: closing tag </{found}> does not match <{open}>")]
    MismatchedClose {
        /// One-based line number.
        line: usize,
        /// The (trimmed) name of the open domain.
        open: String,
        /// The name in the closing tag.
        found: String,
    },
    /// The text ends while a domain is still open.
    #[error("config parse: domain <{name}> opened on line {line} is never closed")]
    UnclosedDomain {
        /// One-based line number of the innermost unclosed opening tag.
        line: usize,
        /// The (trimmed) name of that domain.
        name: String,
    },
    /// A key or value holds a backslash not followed by `\`, `r`, `n`, `t` or `=`.
    #[error("config parse: line {line}: invalid backslash escape in {text:?}")]
    BadEscape {
        /// One-based line number.
        line: usize,
        /// The key or value (trimmed, before unescaping).
        text: String,
    },
    /// Domains are nested deeper than [`MAX_DEPTH`].
    #[error("config parse: line {line}: domains nested deeper than {max} levels")]
    TooDeep {
        /// One-based line number of the opening tag that went too deep.
        line: usize,
        /// The limit, [`MAX_DEPTH`].
        max: usize,
    },
    /// A key, value or domain name holds `<` or `>`, which the text form cannot carry.
    #[error("config serialise: {text:?} contains '<' or '>'")]
    AngleBracket {
        /// The offending key, value or domain name.
        text: String,
    },
}

/// A parsed `TC_Config`: the root domain and everything under it.
///
/// Equality compares names, parameters in order and sub-domains in insertion order.
#[derive(Clone, Debug)]
pub struct Config {
    /// Every domain; `domains[ROOT]` is the root, children refer to others by index.
    domains: Vec<Domain>,
}

/// One domain in the arena.
#[derive(Clone, Debug, Default)]
struct Domain {
    /// Raw name between `<` and `>` (the C++ map key); empty for the root.
    name: String,
    /// Parameters in order; a replaced key leaves `None` behind and is appended anew.
    params: Vec<Option<(String, String)>>,
    /// Key to its live slot in `params`.
    param_slots: HashMap<String, usize>,
    /// Sub-domain arena indices in insertion order.
    children: Vec<usize>,
    /// Raw sub-domain name to arena index.
    child_ids: HashMap<String, usize>,
}

impl Domain {
    fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// The name as printed and as closing tags must spell it.
    fn display_name(&self) -> &str {
        self.name.trim_matches(TRIM)
    }

    /// Sets `key`, moving it to the end if it already exists.
    fn set_param(&mut self, key: String, value: String) {
        if let Some(&slot) = self.param_slots.get(&key) {
            self.params[slot] = None;
        }
        self.param_slots.insert(key.clone(), self.params.len());
        self.params.push(Some((key, value)));
    }

    fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .flatten()
            .map(|(key, value)| (key.as_str(), value.as_str()))
    }

    fn param(&self, key: &str) -> Option<&str> {
        let slot = *self.param_slots.get(key)?;
        self.params
            .get(slot)?
            .as_ref()
            .map(|(_, value)| value.as_str())
    }
}

/// One step of the iterative serialiser.
enum Step {
    Open { id: usize, depth: usize },
    Close { id: usize, depth: usize },
}

impl Default for Config {
    fn default() -> Self {
        Self {
            domains: vec![Domain::default()],
        }
    }
}

impl PartialEq for Config {
    fn eq(&self, other: &Self) -> bool {
        let mut pairs = vec![(ROOT, ROOT)];
        while let Some((mine, theirs)) = pairs.pop() {
            let (mine, theirs) = (&self.domains[mine], &other.domains[theirs]);
            if mine.name != theirs.name
                || mine.children.len() != theirs.children.len()
                || !mine.params().eq(theirs.params())
            {
                return false;
            }
            pairs.extend(
                mine.children
                    .iter()
                    .copied()
                    .zip(theirs.children.iter().copied()),
            );
        }
        true
    }
}

impl Eq for Config {}

impl Config {
    /// Parses `TC_Config` text (`TC_Config::parseString`).
    ///
    /// # Errors
    ///
    /// A tag without `>`, a closing tag that matches no open domain or another one, a domain
    /// left open at the end, a bad backslash escape in a key or value, or nesting deeper
    /// than [`MAX_DEPTH`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut config = Self::default();
        // Open domains (arena index, line of the opening tag), innermost last; the root is
        // implicit below them.
        let mut open: Vec<(usize, usize)> = Vec::new();
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let trimmed = raw.trim_matches(TRIM);
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let current = open.last().map_or(ROOT, |&(id, _)| id);
            let Some(tag) = trimmed.strip_prefix('<') else {
                let (key, value) = split_param(trimmed, line)?;
                config.domains[current].set_param(key, value);
                continue;
            };
            let Some(end) = tag.find('>') else {
                return Err(Error::UnterminatedTag { line });
            };
            let tag = &tag[..end];
            if let Some(name) = tag.strip_prefix('/') {
                if open.is_empty() {
                    // The C++ would pop its root here (for `</>`) or report a mismatch;
                    // either way the text is rejected.
                    return Err(Error::UnbalancedClose {
                        line,
                        name: snippet(name),
                    });
                }
                let open_name = config.domains[current].display_name();
                if open_name != name {
                    return Err(Error::MismatchedClose {
                        line,
                        open: snippet(open_name),
                        found: snippet(name),
                    });
                }
                open.pop();
            } else {
                if open.len() >= MAX_DEPTH {
                    return Err(Error::TooDeep {
                        line,
                        max: MAX_DEPTH,
                    });
                }
                let id = config.child_or_insert(current, tag);
                open.push((id, line));
            }
        }
        if let Some(&(id, line)) = open.last() {
            let name = snippet(config.domains[id].display_name());
            return Err(Error::UnclosedDomain { line, name });
        }
        Ok(config)
    }

    /// Serialises the configuration (`TC_Config::tostr`): the root's sub-domains in byte-wise
    /// name order, everything below them in insertion order; root-level keys are not printed.
    ///
    /// # Errors
    ///
    /// [`Error::AngleBracket`] when a key, value or domain name holds `<` or `>`.
    pub fn to_text(&self) -> Result<String, Error> {
        let mut top = self.domains[ROOT].children.clone();
        top.sort_unstable_by_key(|&id| self.domains[id].name.as_str());
        let mut steps: Vec<Step> = top
            .into_iter()
            .rev()
            .map(|id| Step::Open { id, depth: 0 })
            .collect();
        let mut out = String::new();
        while let Some(step) = steps.pop() {
            match step {
                Step::Open { id, depth } => {
                    let domain = &self.domains[id];
                    write_tag(&mut out, depth, "<", domain.display_name())?;
                    for (key, value) in domain.params() {
                        push_indent(&mut out, depth + 1);
                        escape_into(&mut out, key)?;
                        if !value.is_empty() {
                            out.push('=');
                            escape_into(&mut out, value)?;
                        }
                        out.push('\n');
                    }
                    steps.push(Step::Close { id, depth });
                    steps.extend(domain.children.iter().rev().map(|&child| Step::Open {
                        id: child,
                        depth: depth + 1,
                    }));
                }
                Step::Close { id, depth } => {
                    write_tag(&mut out, depth, "</", self.domains[id].display_name())?;
                }
            }
        }
        Ok(out)
    }

    /// Merges `self` (the child, e.g. a server's profile) over `parent` (e.g. its template),
    /// exactly as `child.joinConfig(parent, false)`: the parent's serialised text followed by
    /// the child's, re-parsed.
    ///
    /// Domains with the same path merge; a key in both takes the child's value and moves
    /// after the parent-only keys (parent-only keys in parent order, then the child's keys
    /// in child order); nested sub-domains come in parent order, then child-only ones.
    /// Root-level keys of both sides are lost, as in any serialisation.
    ///
    /// # Errors
    ///
    /// [`Error::AngleBracket`] when either side cannot be serialised.
    pub fn merged_over(&self, parent: &Config) -> Result<Config, Error> {
        let mut text = parent.to_text()?;
        text.push_str(&self.to_text()?);
        Self::parse(&text)
    }

    /// The value at `path` in `TC_Config::get` form, `/domain/sub<key>`; `/<key>` reads a
    /// root-level key. Empty path segments are skipped. `None` when the domain or key is
    /// missing or the path is malformed (no leading `/`, no `<…>`). A key without a value
    /// reads as `Some("")`.
    pub fn get(&self, path: &str) -> Option<&str> {
        let rest = path.strip_prefix('/')?;
        let open = rest.find('<')?;
        let close = rest.find('>')?;
        if close < open {
            return None;
        }
        let mut id = ROOT;
        for name in rest[..open].split('/').filter(|name| !name.is_empty()) {
            id = *self.domains[id].child_ids.get(name)?;
        }
        self.domains[id].param(&rest[open + 1..close])
    }

    /// The sub-domain `name` of domain `parent`, created (appended) if missing.
    fn child_or_insert(&mut self, parent: usize, name: &str) -> usize {
        if let Some(&id) = self.domains[parent].child_ids.get(name) {
            return id;
        }
        let id = self.domains.len();
        self.domains.push(Domain::named(name));
        let parent = &mut self.domains[parent];
        parent.children.push(id);
        parent.child_ids.insert(name.to_owned(), id);
        id
    }
}

/// Splits a parameter line (already trimmed, non-empty) into unescaped key and value.
fn split_param(line: &str, line_no: usize) -> Result<(String, String), Error> {
    let bytes = line.as_bytes();
    let separator =
        (0..bytes.len()).find(|&at| bytes[at] == b'=' && (at == 0 || bytes[at - 1] != b'\\'));
    let (key, value) = if let Some(at) = separator {
        (
            line[..at].trim_matches(TRIM),
            line[at + 1..].trim_matches(TRIM),
        )
    } else {
        (line, "")
    };
    let decode = |part: &str| {
        unescape(part).ok_or_else(|| Error::BadEscape {
            line: line_no,
            text: snippet(part),
        })
    };
    Ok((decode(key)?, decode(value)?))
}

/// Undoes the backslash escapes (`TC_ConfigDomain::parse`); `None` on an invalid one.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            '\\' => '\\',
            'r' => '\r',
            'n' => '\n',
            't' => '\t',
            '=' => '=',
            _ => return None,
        });
    }
    Some(out)
}

/// Appends `text` escaped (`TC_ConfigDomain::reverse_parse`).
fn escape_into(out: &mut String, text: &str) -> Result<(), Error> {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '=' => out.push_str("\\="),
            '<' | '>' => {
                return Err(Error::AngleBracket {
                    text: snippet(text),
                });
            }
            other => out.push(other),
        }
    }
    Ok(())
}

/// Appends one indented `<name>` or `</name>` line.
fn write_tag(out: &mut String, depth: usize, opener: &str, name: &str) -> Result<(), Error> {
    push_indent(out, depth);
    out.push_str(opener);
    escape_into(out, name)?;
    out.push_str(">\n");
    Ok(())
}

fn push_indent(out: &mut String, depth: usize) {
    for _ in 0..depth {
        out.push_str("  ");
    }
}

/// `text`, shortened for an error message.
fn snippet(text: &str) -> String {
    if let Some((cut, _)) = text.char_indices().nth(SNIPPET_CHARS) {
        format!("{}...", &text[..cut])
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{Config, Error, MAX_DEPTH};

    fn parse(text: &str) -> Config {
        Config::parse(text).expect("test text is valid")
    }

    fn text(config: &Config) -> String {
        config.to_text().expect("test config serialises")
    }

    const CANONICAL_PROFILE: &str = concat!(
        "<tars>\n",
        "  <application>\n",
        "    enableset=n\n",
        "    setdivision=NULL\n",
        "    <server>\n",
        "      app=Test\n",
        "      server=HelloServer\n",
        "      localip=${localip}\n",
        "      logLevel=DEBUG\n",
        "      closecout\n",
        "      <Test.HelloServer.HelloObjAdapter>\n",
        "        endpoint=tcp -h ${localip} -p 10000 -t 60000\n",
        "        servant=Test.HelloServer.HelloObj\n",
        "      </Test.HelloServer.HelloObjAdapter>\n",
        "    </server>\n",
        "    <client>\n",
        "      locator=tars.tarsregistry.QueryObj@tcp -h tars-tarsregistry -p 17890\n",
        "      sync-invoke-timeout=3000\n",
        "    </client>\n",
        "  </application>\n",
        "</tars>\n",
    );

    #[test]
    fn realistic_profile_round_trips_to_canonical_form() {
        let messy = concat!(
            "# server profile\r\n",
            "<tars>\r\n",
            "<application>\n",
            "\tenableset = n\n",
            "   setdivision=   NULL   \n",
            "\n",
            "  <server>\n",
            "app=Test\n",
            "server=HelloServer\n",
            "localip=${localip}\n",
            "    # a comment inside a domain\n",
            "logLevel=DEBUG\n",
            "closecout\n",
            "<Test.HelloServer.HelloObjAdapter>\n",
            "endpoint=tcp -h ${localip} -p 10000 -t 60000\n",
            "servant=Test.HelloServer.HelloObj\n",
            "</Test.HelloServer.HelloObjAdapter>\n",
            "</server>\n",
            "<client>\n",
            "locator=tars.tarsregistry.QueryObj@tcp -h tars-tarsregistry -p 17890\n",
            "sync-invoke-timeout=3000\n",
            "</client>\n",
            "</application>\n",
            "</tars>",
        );
        let config = parse(messy);
        assert_eq!(config.get("/tars/application<enableset>"), Some("n"));
        assert_eq!(config.get("/tars/application<setdivision>"), Some("NULL"));
        assert_eq!(
            config.get("/tars//application/client<sync-invoke-timeout>"),
            Some("3000")
        );
        assert_eq!(config.get("/tars/application/server<closecout>"), Some(""));
        assert_eq!(config.get("/tars/application/server<missing>"), None);
        assert_eq!(config.get("/tars/nowhere<app>"), None);
        assert_eq!(config.get("tars/application<enableset>"), None);
        assert_eq!(text(&config), CANONICAL_PROFILE);
        assert_eq!(parse(CANONICAL_PROFILE), config);
    }

    #[test]
    fn keys_without_value_are_printed_bare() {
        let config = parse("<a>\nbare\nempty=\n  spaced =  \n</a>\n");
        assert_eq!(config.get("/a<bare>"), Some(""));
        assert_eq!(config.get("/a<empty>"), Some(""));
        assert_eq!(config.get("/a<spaced>"), Some(""));
        assert_eq!(text(&config), "<a>\n  bare\n  empty\n  spaced\n</a>\n");
    }

    #[test]
    fn escapes_round_trip() {
        let config = parse("<a>\nk\\=ey = a\\\\b\\r\\n\\tc\\=d\n</a>\n");
        assert_eq!(config.get("/a<k=ey>"), Some("a\\b\r\n\tc=d"));
        let printed = text(&config);
        assert_eq!(printed, "<a>\n  k\\=ey=a\\\\b\\r\\n\\tc\\=d\n</a>\n");
        assert_eq!(parse(&printed), config);
    }

    #[test]
    fn bad_escapes_are_errors() {
        let bad = Config::parse("<a>\nk=x\\y\n</a>").expect_err("\\y is not an escape");
        assert_eq!(
            bad,
            Error::BadEscape {
                line: 2,
                text: "x\\y".to_owned()
            }
        );
        let trailing =
            Config::parse("<a>\nk\\\n</a>").expect_err("a trailing backslash is invalid");
        assert!(matches!(trailing, Error::BadEscape { line: 2, .. }));
    }

    #[test]
    fn first_unescaped_equals_splits_and_the_rest_stays_in_the_value() {
        let config = parse("<a>\nargs = -Xms=512m -Dx=y\n</a>\n");
        assert_eq!(config.get("/a<args>"), Some("-Xms=512m -Dx=y"));
        assert_eq!(text(&config), "<a>\n  args=-Xms\\=512m -Dx\\=y\n</a>\n");
        // As in the C++, an `=` after an escaped backslash is not a separator either.
        let quirk = parse("<a>\nk\\\\=v\n</a>\n");
        assert_eq!(quirk.get("/a<k\\=v>"), Some(""));
    }

    #[test]
    fn comments_are_dropped() {
        let config = parse("# top\n<a>\n# inner=1\n  #k=v\nx=1\n</a>\n");
        assert_eq!(config.get("/a<# inner>"), None);
        assert_eq!(text(&config), "<a>\n  x=1\n</a>\n");
    }

    #[test]
    fn root_keys_are_readable_but_lost_on_serialisation() {
        let config = parse("rootkey=v\n<a>\nx=1\n</a>\nlate=2\n");
        assert_eq!(config.get("/<rootkey>"), Some("v"));
        assert_eq!(config.get("/<late>"), Some("2"));
        assert_eq!(text(&config), "<a>\n  x=1\n</a>\n");
    }

    #[test]
    fn top_level_domains_sorted_nested_in_insertion_order() {
        let config =
            parse("<zeta>\n<b>\n</b>\n<a>\n</a>\n</zeta>\n<alpha>\n</alpha>\n<Beta>\n</Beta>\n");
        assert_eq!(
            text(&config),
            "<Beta>\n</Beta>\n<alpha>\n</alpha>\n<zeta>\n  <b>\n  </b>\n  <a>\n  </a>\n</zeta>\n"
        );
    }

    #[test]
    fn repeated_key_takes_last_value_and_moves_to_end() {
        let config = parse("<a>\nx=1\ny=2\nx=3\n</a>\n<a>\ny=4\n</a>\n");
        assert_eq!(text(&config), "<a>\n  x=3\n  y=4\n</a>\n");
    }

    #[test]
    fn domain_names_are_trimmed_for_printing_and_closing() {
        let config = parse("< a >\nk=v\n</a>\n");
        assert_eq!(config.get("/ a <k>"), Some("v"));
        assert_eq!(text(&config), "<a>\n  k=v\n</a>\n");
    }

    #[test]
    fn merge_child_wins_on_conflicting_key() {
        let parent = parse(
            "<tars>\n<application>\n<server>\nlogLevel=DEBUG\nlogsize=10M\n</server>\n</application>\n</tars>\n",
        );
        let child = parse(
            "<tars>\n<application>\n<server>\nlogLevel=INFO\n</server>\n</application>\n</tars>\n",
        );
        let merged = child.merged_over(&parent).expect("both serialise");
        assert_eq!(
            merged.get("/tars/application/server<logLevel>"),
            Some("INFO")
        );
        assert_eq!(merged.get("/tars/application/server<logsize>"), Some("10M"));
    }

    #[test]
    fn merge_of_nested_domains_keeps_both_sides() {
        let parent = parse(
            &CANONICAL_PROFILE.replace("</tars>\n", "<extra>\nfrom=parent\n</extra>\n</tars>\n"),
        );
        let child = parse(
            "<tars>\n<application>\n<client>\nasyncthread=8\n</client>\n<mine>\nk=v\n</mine>\n</application>\n</tars>\n<zz>\nq=1\n</zz>\n",
        );
        let merged = child.merged_over(&parent).expect("both serialise");
        assert_eq!(
            merged.get("/tars/application/client<asyncthread>"),
            Some("8")
        );
        assert_eq!(
            merged.get("/tars/application/client<sync-invoke-timeout>"),
            Some("3000")
        );
        assert_eq!(
            merged.get("/tars/application/server/Test.HelloServer.HelloObjAdapter<servant>"),
            Some("Test.HelloServer.HelloObj")
        );
        assert_eq!(merged.get("/tars/application/mine<k>"), Some("v"));
        assert_eq!(merged.get("/tars/extra<from>"), Some("parent"));
        assert_eq!(merged.get("/zz<q>"), Some("1"));
        let printed = text(&merged);
        let server = printed.find("    <server>").expect("server printed");
        let client = printed.find("    <client>").expect("client printed");
        let mine = printed.find("    <mine>").expect("mine printed");
        assert!(
            server < client && client < mine,
            "nested domains in parent then child order:\n{printed}"
        );
    }

    #[test]
    fn merge_orders_parent_only_keys_then_child_keys() {
        let parent = parse("<a>\nx=1\ny=2\nz=3\n</a>\n");
        let child = parse("<a>\ny=20\nw=4\n</a>\n");
        let merged = child.merged_over(&parent).expect("both serialise");
        assert_eq!(text(&merged), "<a>\n  x=1\n  z=3\n  y=20\n  w=4\n</a>\n");
    }

    #[test]
    fn merge_drops_root_keys_and_fails_on_unserialisable_side() {
        let parent = parse("root=1\n<a>\nx=1\n</a>\n");
        let merged = Config::default()
            .merged_over(&parent)
            .expect("both serialise");
        assert_eq!(merged.get("/<root>"), None);
        let bad = parse("<a>\nk=x<y\n</a>\n");
        assert!(matches!(
            bad.merged_over(&parent),
            Err(Error::AngleBracket { .. })
        ));
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            Config::parse("<a>\n</b>\n").expect_err("mismatch"),
            Error::MismatchedClose {
                line: 2,
                open: "a".to_owned(),
                found: "b".to_owned()
            }
        );
        assert_eq!(
            Config::parse("\n</a>\n").expect_err("nothing open"),
            Error::UnbalancedClose {
                line: 2,
                name: "a".to_owned()
            }
        );
        assert_eq!(
            Config::parse("<a>\n<b>\n</b>\n").expect_err("a left open"),
            Error::UnclosedDomain {
                line: 1,
                name: "a".to_owned()
            }
        );
        assert_eq!(
            Config::parse("<a\n").expect_err("no '>'"),
            Error::UnterminatedTag { line: 1 }
        );
    }

    #[test]
    fn angle_bracket_in_value_fails_serialisation() {
        let config = parse("<a>\nk=x<y\n</a>\n");
        assert_eq!(config.get("/a<k>"), Some("x<y"));
        assert_eq!(
            config.to_text(),
            Err(Error::AngleBracket {
                text: "x<y".to_owned()
            })
        );
        let name = parse("<<a>\n</<a>\n");
        assert!(matches!(name.to_text(), Err(Error::AngleBracket { .. })));
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing() {
        let hostile = "<a>\n".repeat(200_000);
        assert_eq!(
            Config::parse(&hostile).expect_err("too deep"),
            Error::TooDeep {
                line: MAX_DEPTH + 1,
                max: MAX_DEPTH
            }
        );
        let deepest = format!(
            "{}k=v\n{}",
            "<a>\n".repeat(MAX_DEPTH),
            "</a>\n".repeat(MAX_DEPTH)
        );
        let config = parse(&deepest);
        let path = format!("{}<k>", "/a".repeat(MAX_DEPTH));
        assert_eq!(config.get(&path), Some("v"));
        let merged = config.merged_over(&config).expect("serialises");
        assert_eq!(merged, config);
        assert_eq!(parse(&text(&merged)), config);
    }

    #[test]
    fn many_repeated_keys_stay_linear() {
        let text_in = format!("<a>\n{}</a>\n", "k=v\n".repeat(100_000));
        let config = parse(&text_in);
        assert_eq!(text(&config), "<a>\n  k=v\n</a>\n");
    }
}
