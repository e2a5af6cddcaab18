//! 2025-era sessions bound to the principal that opened them: a session
//! holds pending questions and subscriptions, so a session id used with
//! another principal's token is answered as an unknown session (404).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// At most this many sessions are remembered; the oldest are forgotten
/// first, and a forgotten session must be opened again.
const MAX_SESSIONS: usize = 100_000;

/// Session id → the subject that opened it.
#[derive(Default)]
pub(crate) struct SessionOwners {
    inner: Mutex<Owners>,
}

#[derive(Default)]
struct Owners {
    by_session: HashMap<String, String>,
    order: VecDeque<String>,
}

impl SessionOwners {
    /// Records that `subject` opened `session`.
    pub(crate) fn opened(&self, session: &str, subject: &str) {
        let mut owners = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if owners
            .by_session
            .insert(session.to_owned(), subject.to_owned())
            .is_none()
        {
            owners.order.push_back(session.to_owned());
        }
        while owners.order.len() > MAX_SESSIONS {
            if let Some(oldest) = owners.order.pop_front() {
                owners.by_session.remove(&oldest);
            }
        }
    }

    /// Whether `subject` may use `session`.
    pub(crate) fn allows(&self, session: &str, subject: &str) -> bool {
        let owners = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        owners
            .by_session
            .get(session)
            .is_some_and(|owner| owner == subject)
    }

    /// Forgets a closed session.
    pub(crate) fn closed(&self, session: &str) {
        let mut owners = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if owners.by_session.remove(session).is_some() {
            owners.order.retain(|s| s != session);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_answers_only_to_its_opener() {
        let owners = SessionOwners::default();
        owners.opened("s1", "alice");
        assert!(owners.allows("s1", "alice"));
        assert!(!owners.allows("s1", "bob"));
        assert!(!owners.allows("s2", "alice"));
        owners.closed("s1");
        assert!(!owners.allows("s1", "alice"));
    }
}
