//! Where users' downstream tokens are kept: one row per user and server in
//! the embedded SQLite store, sealed with AES-256-GCM so that the file alone
//! gives no token away. The row's user and server are the AEAD's associated
//! data: a sealed token copied to another user's row does not open.

use std::path::PathBuf;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine as _;
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::sqlite::LazyConnection;

/// The environment variable holding the key (32 bytes, as 64 hex digits or
/// base64). Without it a random key is made at start-up, and the tokens
/// kept by an earlier process cannot be opened (their users sign in again).
pub const TOKEN_KEY_ENV: &str = "AGENTWIRE_TOKEN_KEY";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS user_tokens (
    subject TEXT NOT NULL,
    server  TEXT NOT NULL,
    sealed  BLOB NOT NULL,
    PRIMARY KEY (subject, server)
) WITHOUT ROWID;
";

/// A user's token for a server, as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredToken {
    pub access: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    /// When to refresh it, in milliseconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_at_ms: Option<u64>,
}

/// The sealed tokens, in their SQLite file (opened on first use, WAL).
pub(crate) struct TokenVault {
    sqlite: LazyConnection,
    key: LessSafeKey,
}

impl std::fmt::Debug for TokenVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVault")
            .field("file", &self.sqlite.file())
            .finish_non_exhaustive()
    }
}

/// The key from `text` (64 hex digits, or base64 of 32 bytes).
pub(crate) fn parse_key(text: &str) -> Result<[u8; 32], String> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap_or_default())
            .collect()
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| format!("{TOKEN_KEY_ENV} is neither 64 hex digits nor base64"))?
    };
    bytes
        .try_into()
        .map_err(|_| format!("{TOKEN_KEY_ENV} must hold 32 bytes (a 256-bit key)"))
}

impl TokenVault {
    /// The vault in `file` with the key `key`.
    pub(crate) fn new(file: PathBuf, key: &[u8; 32]) -> Self {
        let key = LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key fits AES-256-GCM"),
        );
        TokenVault {
            sqlite: LazyConnection::new(file, SCHEMA),
            key,
        }
    }

    /// The key of [`TOKEN_KEY_ENV`], or a random one (with a warning).
    pub(crate) fn key_from_env() -> Result<[u8; 32], String> {
        if let Ok(text) = std::env::var(TOKEN_KEY_ENV) {
            return parse_key(&text);
        }
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| format!("no random source for a key: {e}"))?;
        tracing::warn!(
            "{TOKEN_KEY_ENV} is not set: users' downstream tokens are sealed with a key that \
             dies with this process, so they sign in again after a restart"
        );
        Ok(key)
    }

    fn aad(subject: &str, server: &str) -> Vec<u8> {
        format!("agentwire-user-token\n{server}\n{subject}").into_bytes()
    }

    /// Keeps `token` for `subject` at `server`, replacing the one before.
    pub(crate) fn put(
        &self,
        subject: &str,
        server: &str,
        token: &StoredToken,
    ) -> Result<(), String> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| format!("no random source for a nonce: {e}"))?;
        let mut sealed = serde_json::to_vec(token).map_err(|e| e.to_string())?;
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(Self::aad(subject, server)),
                &mut sealed,
            )
            .map_err(|_| "the token could not be sealed".to_owned())?;
        let mut row = nonce.to_vec();
        row.extend(sealed);
        self.sqlite.with(|c| {
            c.execute(
                "INSERT INTO user_tokens (subject, server, sealed) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (subject, server) DO UPDATE SET sealed = excluded.sealed",
                params![subject, server, row],
            )
            .map(drop)
        })
    }

    /// The token kept for `subject` at `server`; none when there is none or
    /// it does not open with this key (then it is forgotten).
    pub(crate) fn get(&self, subject: &str, server: &str) -> Result<Option<StoredToken>, String> {
        let row: Option<Vec<u8>> = self.sqlite.with(|c| {
            c.query_row(
                "SELECT sealed FROM user_tokens WHERE subject = ?1 AND server = ?2",
                params![subject, server],
                |row| row.get(0),
            )
            .optional()
        })?;
        let Some(row) = row else { return Ok(None) };
        let opened = (row.len() > NONCE_LEN)
            .then(|| {
                let (nonce, sealed) = row.split_at(NONCE_LEN);
                let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
                let mut sealed = sealed.to_vec();
                let plain = self
                    .key
                    .open_in_place(nonce, Aad::from(Self::aad(subject, server)), &mut sealed)
                    .ok()?;
                serde_json::from_slice::<StoredToken>(plain).ok()
            })
            .flatten();
        if opened.is_none() {
            tracing::warn!(
                subject,
                server,
                "a kept token does not open with this key; the user signs in again"
            );
            self.remove(subject, server)?;
        }
        Ok(opened)
    }

    /// Forgets the token of `subject` at `server`.
    pub(crate) fn remove(&self, subject: &str, server: &str) -> Result<(), String> {
        self.sqlite.with(|c| {
            c.execute(
                "DELETE FROM user_tokens WHERE subject = ?1 AND server = ?2",
                params![subject, server],
            )
            .map(drop)
        })
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::*;

    fn token() -> StoredToken {
        StoredToken {
            access: "access-token-of-alice".into(),
            refresh: Some("refresh-token-of-alice".into()),
            renew_at_ms: Some(42),
        }
    }

    #[test]
    fn tokens_are_sealed_bound_to_their_row_and_need_the_key() {
        let dir = std::env::temp_dir().join(format!("agentwire-vault-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("store.db");
        let vault = TokenVault::new(file.clone(), &[7; 32]);
        vault.put("alice", "crm", &token()).unwrap();
        assert_eq!(vault.get("alice", "crm").unwrap(), Some(token()));
        assert_eq!(vault.get("bob", "crm").unwrap(), None);

        // The file holds no token in the clear.
        drop(vault);
        let bytes: Vec<u8> = ["store.db", "store.db-wal"]
            .iter()
            .filter_map(|name| std::fs::read(dir.join(name)).ok())
            .flatten()
            .collect();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("access-token-of-alice"));
        assert!(!text.contains("refresh-token-of-alice"));

        // Alice's row moved to bob does not open (the row is the AAD).
        let c = Connection::open(&file).unwrap();
        c.execute(
            "UPDATE user_tokens SET subject = 'bob' WHERE subject = 'alice'",
            [],
        )
        .unwrap();
        drop(c);
        let vault = TokenVault::new(file.clone(), &[7; 32]);
        assert_eq!(vault.get("bob", "crm").unwrap(), None);

        // Another key opens nothing.
        vault.put("alice", "crm", &token()).unwrap();
        let other = TokenVault::new(file, &[8; 32]);
        assert_eq!(other.get("alice", "crm").unwrap(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn keys_are_hex_or_base64_of_32_bytes() {
        assert_eq!(parse_key(&"ab".repeat(32)).unwrap(), [0xab; 32]);
        let b64 = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        assert_eq!(parse_key(&b64).unwrap(), [1; 32]);
        assert!(parse_key("short").is_err());
        assert!(
            parse_key(&base64::engine::general_purpose::STANDARD.encode([1u8; 16]))
                .unwrap_err()
                .contains("32 bytes")
        );
    }
}
