//! The audit log's filters as an admin sets them, and the query string the server reads them
//! from (`GET /api/audit`; the rules are the server's, in `server/src/store/audit.rs`). The
//! filters are kept in the address's hash, as the submissions table's are, so that a filtered
//! log can be reloaded and sent to a colleague.

/// The actions the server records, in the order the select offers them: the staff area's
/// own first, then phones and links, then accounts. Anything else the log holds is offered
/// too once it has been seen (a server newer than this page).
pub const KNOWN_ACTIONS: [&str; 17] = [
    "export",
    "import",
    "odata.read",
    "session.open",
    "session.close_all",
    "user.add",
    "association.name",
    "enrolment.create",
    "device.enrol",
    "device.replace",
    "device.revoke",
    "public_link.create",
    "public_link.revoke",
    "duplicates.list",
    "duplicates.decide",
    "duplicates.merge",
    "duplicates.unmerge",
];

/// How many entries a page asks for (the server's default; it allows up to 1000).
pub const PAGE_ENTRIES: usize = 100;

/// The log's filters: an action and an actor, each matched exactly by the server. Empty
/// strings mean "any".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditFilters {
    pub action: String,
    pub actor: String,
}

impl AuditFilters {
    /// The query string of the newest page (`before`: the previous page's `next`).
    pub fn query(&self, before: Option<&str>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        self.append(&mut out);
        out.append_pair("limit", &PAGE_ENTRIES.to_string());
        if let Some(before) = before {
            out.append_pair("before", before);
        }
        out.finish()
    }

    /// The query string for the address's hash: the filters, without paging.
    pub fn hash(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        self.append(&mut out);
        out.finish()
    }

    /// The filters of a query string (the address's hash), ignoring what it does not know.
    pub fn from_query(query: &str) -> AuditFilters {
        let mut filters = AuditFilters::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            match name.as_ref() {
                "action" => filters.action = value.trim().to_owned(),
                "actor" => filters.actor = value.trim().to_owned(),
                _ => {}
            }
        }
        filters
    }

    /// How many filters are set.
    pub fn count(&self) -> usize {
        usize::from(!self.action.trim().is_empty()) + usize::from(!self.actor.trim().is_empty())
    }

    fn append(&self, out: &mut form_urlencoded::Serializer<'_, String>) {
        // The server refuses an empty value: an empty filter is left out.
        for (name, value) in [("action", &self.action), ("actor", &self.actor)] {
            if !value.trim().is_empty() {
                out.append_pair(name, value.trim());
            }
        }
    }
}

/// Who an entry names, as the server writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// `user:ID`, a staff account.
    User(i64),
    /// `cli`, a command run on the server's machine.
    Cli,
    /// `device:ID`, a phone.
    Device(&'a str),
    /// Anything else, shown as it is.
    Other(&'a str),
}

impl<'a> Actor<'a> {
    pub fn parse(actor: &'a str) -> Actor<'a> {
        if actor == "cli" {
            return Actor::Cli;
        }
        if let Some(id) = actor.strip_prefix("user:").and_then(|id| id.parse().ok()) {
            return Actor::User(id);
        }
        match actor.strip_prefix("device:") {
            Some(id) if !id.is_empty() => Actor::Device(id),
            _ => Actor::Other(actor),
        }
    }
}

/// The actions a select offers: the known ones, then those `seen` (in entries, or in the
/// address) that it does not know, each once.
pub fn offered_actions<'a>(seen: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = KNOWN_ACTIONS.to_vec();
    for action in seen {
        if !action.is_empty() && !out.contains(&action) {
            out.push(action);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_filter_asks_for_the_newest_page_only() {
        assert_eq!(AuditFilters::default().query(None), "limit=100");
        assert_eq!(AuditFilters::default().hash(), "");
    }

    #[test]
    fn filters_are_written_as_the_server_reads_them_and_kept_in_the_hash() {
        let filters = AuditFilters {
            action: "session.open".into(),
            actor: "user:7".into(),
        };
        assert_eq!(
            filters.query(Some("42")),
            "action=session.open&actor=user%3A7&limit=100&before=42"
        );
        assert_eq!(filters.hash(), "action=session.open&actor=user%3A7");
        assert_eq!(AuditFilters::from_query(&filters.hash()), filters);
        assert_eq!(filters.count(), 2);
    }

    #[test]
    fn blank_filters_are_not_sent_and_unknown_parameters_are_ignored() {
        let blank = AuditFilters {
            action: String::new(),
            actor: "  ".into(),
        };
        assert_eq!(blank.query(None), "limit=100");
        assert_eq!(blank.count(), 0);
        assert_eq!(
            AuditFilters::from_query("actor=+cli+&limit=3&colour=red"),
            AuditFilters {
                action: String::new(),
                actor: "cli".into(),
            }
        );
    }

    #[test]
    fn actors_are_read_as_the_server_writes_them() {
        assert_eq!(Actor::parse("user:7"), Actor::User(7));
        assert_eq!(Actor::parse("cli"), Actor::Cli);
        assert_eq!(Actor::parse("device:dev-ab12"), Actor::Device("dev-ab12"));
        assert_eq!(Actor::parse("user:x"), Actor::Other("user:x"));
        assert_eq!(Actor::parse("device:"), Actor::Other("device:"));
    }

    #[test]
    fn an_action_the_page_does_not_know_is_offered_once_it_is_seen() {
        let offered = offered_actions(["export", "form.publish", "", "form.publish"]);
        assert_eq!(offered.len(), KNOWN_ACTIONS.len() + 1);
        assert_eq!(offered.last(), Some(&"form.publish"));
    }
}
