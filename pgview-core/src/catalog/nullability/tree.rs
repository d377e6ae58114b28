//! A reader of PostgreSQL's node-tree text (`pg_node_tree`, as `pg_rewrite.ev_action::text`
//! prints a view's stored query), following the server's own reader (`read.c`,
//! `readfuncs.c`):
//!
//! - whitespace separates tokens; `(`, `)`, `{`, `}` are tokens of their own;
//! - a backslash makes the next character an ordinary token character;
//! - `<>` (without a backslash) is a null value;
//! - a node is `{NAME :field value :field value …}`, a list `(…)` (`(b 1 2)`, `(i 1)`,
//!   `(o 1)` for bitmapsets and integer and OID lists), a datum `len [ bytes ]`.
//!
//! Every field is read as exactly one value (a datum's `[ … ]` folded into it), so that a
//! string value that looks like a field name (a column named `:x`) is still read as a value.
//! The reader knows nothing of the fields: a version that adds or drops fields reads the same.

/// A value of the tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `{NAME :field value …}`.
    Node(Node),
    /// `( … )`.
    List(Vec<Value>),
    /// Any other token, unescaped.
    Atom(String),
    /// `<>`.
    Null,
}

/// A node: its name and its fields in order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) name: String,
    fields: Vec<(String, Value)>,
}

impl Node {
    /// The value of field `name` (without its colon).
    pub(crate) fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value)
    }

    /// The node of field `name`.
    pub(crate) fn node(&self, name: &str) -> Option<&Node> {
        match self.get(name)? {
            Value::Node(node) => Some(node),
            _ => None,
        }
    }

    /// The list of field `name`; a null list is empty.
    pub(crate) fn list(&self, name: &str) -> Option<&[Value]> {
        match self.get(name)? {
            Value::List(items) => Some(items),
            Value::Null => Some(&[]),
            _ => None,
        }
    }

    /// The atom of field `name`.
    pub(crate) fn atom(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Atom(atom) => Some(atom),
            _ => None,
        }
    }

    /// The integer of field `name`.
    pub(crate) fn int(&self, name: &str) -> Option<i64> {
        self.atom(name)?.parse().ok()
    }

    /// Whether field `name` is `true`.
    pub(crate) fn is_true(&self, name: &str) -> bool {
        self.atom(name) == Some("true")
    }

    /// Whether field `name` is null (`<>`).
    pub(crate) fn is_null(&self, name: &str) -> bool {
        matches!(self.get(name), Some(Value::Null))
    }
}

impl Value {
    /// The node this value is.
    pub(crate) fn as_node(&self) -> Option<&Node> {
        match self {
            Value::Node(node) => Some(node),
            _ => None,
        }
    }
}

/// A token: its text, and whether it is one of the four special characters or `<>` unescaped.
#[derive(Debug, PartialEq)]
enum Token {
    Open(char),
    Close(char),
    Null,
    Text(String),
}

fn tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                chars.next();
            }
            '(' | '{' => {
                chars.next();
                tokens.push(Token::Open(c));
            }
            ')' | '}' => {
                chars.next();
                tokens.push(Token::Close(c));
            }
            _ => {
                let mut token = String::new();
                let mut escaped = false;
                while let Some(&c) = chars.peek() {
                    match c {
                        ' ' | '\t' | '\n' | '\r' | '(' | ')' | '{' | '}' => break,
                        '\\' => {
                            chars.next();
                            escaped = true;
                            if let Some(next) = chars.next() {
                                token.push(next);
                            }
                        }
                        _ => {
                            chars.next();
                            token.push(c);
                        }
                    }
                }
                tokens.push(if token == "<>" && !escaped {
                    Token::Null
                } else {
                    Token::Text(token)
                });
            }
        }
    }
    tokens
}

/// Reads a whole tree; `None` when the text is not one well-formed value.
pub(crate) fn parse(text: &str) -> Option<Value> {
    let tokens = tokens(text);
    let mut at = 0;
    let value = value(&tokens, &mut at)?;
    (at == tokens.len()).then_some(value)
}

fn value(tokens: &[Token], at: &mut usize) -> Option<Value> {
    let token = tokens.get(*at)?;
    *at += 1;
    match token {
        Token::Null => Some(Value::Null),
        Token::Text(text) => Some(Value::Atom(text.clone())),
        Token::Close(_) => None,
        Token::Open('(') => {
            let mut items = Vec::new();
            loop {
                if let Some(Token::Close(')')) = tokens.get(*at) {
                    *at += 1;
                    return Some(Value::List(items));
                }
                items.push(value(tokens, at)?);
            }
        }
        Token::Open(_) => node(tokens, at).map(Value::Node),
    }
}

/// The rest of a node after its `{`.
fn node(tokens: &[Token], at: &mut usize) -> Option<Node> {
    let Some(Token::Text(name)) = tokens.get(*at) else {
        return None;
    };
    *at += 1;
    let mut fields = Vec::new();
    loop {
        match tokens.get(*at)? {
            Token::Close('}') => {
                *at += 1;
                return Some(Node {
                    name: name.clone(),
                    fields,
                });
            }
            Token::Text(field) if field.starts_with(':') => {
                *at += 1;
                let field = field[1..].to_owned();
                let value = value(tokens, at)?;
                // A datum: `len [ bytes ]`, folded into the length.
                if let Some(Token::Text(open)) = tokens.get(*at) {
                    if open == "[" {
                        while !matches!(tokens.get(*at)?, Token::Text(close) if close == "]") {
                            *at += 1;
                        }
                        *at += 1;
                    }
                }
                fields.push((field, value));
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nodes_lists_escapes_and_datums() {
        let text = r#"({QUERY :targetList ({TARGETENTRY :expr {CONST :consttype 23 :constlen 4 :constbyval true :constisnull false :constvalue 4 [ 1 0 0 0 0 0 0 0 ]} :resno 1 :resname :odd\ name\(x\) :resjunk false}) :setOperations <> :relids (b 1 2) :colnames ("a" "b\ c")})"#;
        let Some(Value::List(actions)) = parse(text) else {
            panic!("not a list");
        };
        let query = actions[0].as_node().unwrap();
        assert_eq!(query.name, "QUERY");
        assert!(query.is_null("setOperations"));
        let entry = query.list("targetList").unwrap()[0].as_node().unwrap();
        assert_eq!(entry.atom("resname"), Some(":odd name(x)"));
        assert_eq!(entry.int("resno"), Some(1));
        assert!(!entry.is_true("resjunk"));
        let constant = entry.node("expr").unwrap();
        assert_eq!(constant.atom("constisnull"), Some("false"));
        assert_eq!(constant.int("constvalue"), Some(4));
        assert_eq!(
            query.list("colnames").unwrap(),
            [Value::Atom("\"a\"".into()), Value::Atom("\"b c\"".into())]
        );
        assert_eq!(
            query.list("relids").unwrap().len(),
            3,
            "(b 1 2) is a list of three atoms"
        );
    }

    #[test]
    fn refuses_what_is_not_one_value() {
        assert_eq!(parse("({QUERY :a 1}"), None);
        assert_eq!(parse("{QUERY :a}"), None);
        assert_eq!(parse("{QUERY a 1}"), None);
        assert_eq!(parse("1 2"), None);
        assert_eq!(parse(r"\<>"), Some(Value::Atom("<>".into())));
        assert_eq!(parse("<>"), Some(Value::Null));
    }
}
