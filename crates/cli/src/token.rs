//! The page's access token: always required, on loopback too (every local account and
//! process can reach a loopback port).
//!
//! Unless `--token` gives one, `serve` reads it from `web-token` in the data directory,
//! creating it at first start: 32 random bytes as hex, in a `0600` file. `circle token`
//! prints it and the sign-in link; `serve` prints that link on a terminal.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};

/// Where the page is served when `--http` is not given.
pub(crate) const DEFAULT_ADDR: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 7878);

/// The token's file in the data directory.
pub(crate) const TOKEN_FILE: &str = "web-token";
/// Shortest token accepted.
const MIN_TOKEN: usize = 16;
/// Longest token accepted.
const MAX_TOKEN: usize = 256;

/// Checks a token given with `--token` or kept in the file.
pub(crate) fn check(token: &str) -> Result<()> {
    let printable = token
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b"\";,\\".contains(&b));
    if token.len() < MIN_TOKEN || token.len() > MAX_TOKEN || !printable {
        bail!(
            "--token must be {MIN_TOKEN} to {MAX_TOKEN} printable characters without quotes, commas, semicolons or backslashes"
        );
    }
    Ok(())
}

/// The token kept in `dir`, made at first use. `dir` must exist and be private.
pub(crate) fn load_or_create(dir: &Path) -> Result<String> {
    let path = dir.join(TOKEN_FILE);
    match std::fs::File::open(&path) {
        Ok(f) => {
            let mode = f.metadata()?.permissions().mode();
            if mode & 0o077 != 0 {
                bail!(
                    "{} can be read by other accounts (mode {:o}); remove it and start again: a new token is made",
                    path.display(),
                    mode & 0o777
                );
            }
            let mut text = String::new();
            (&f).take(MAX_TOKEN as u64 + 2)
                .read_to_string(&mut text)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let token = text.trim().to_owned();
            check(&token).with_context(|| {
                format!(
                    "{} holds no usable token; remove it and start again",
                    path.display()
                )
            })?;
            Ok(token)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let token = hex::encode(rand::random::<[u8; 32]>());
            // Written beside it and renamed: a crash never leaves half a token.
            let tmp = dir.join(format!(".{TOKEN_FILE}.tmp"));
            let mut f = crate::private::replace_file(&tmp)
                .with_context(|| format!("cannot create {}", tmp.display()))?;
            f.write_all(format!("{token}\n").as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            Ok(token)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The link that signs a browser in: the page with `?token=`, which sets the cookie.
pub(crate) fn sign_in_url(page: &str, token: &str) -> String {
    let mut out = format!("{page}/?token=");
    for b in token.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The page this process serves, and its token (set once, when the page starts).
static SERVING: OnceLock<(String, String)> = OnceLock::new();

pub(crate) fn set_serving(url: &str, token: &str) {
    let _ = SERVING.set((url.to_owned(), token.to_owned()));
}

/// `(page URL, token)` of the page this process serves, if it serves one.
pub(crate) fn serving() -> Option<(String, String)> {
    SERVING.get().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_made_once_private_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let t = load_or_create(dir.path()).unwrap();
        assert_eq!(t.len(), 64);
        let mode = std::fs::metadata(dir.path().join(TOKEN_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(load_or_create(dir.path()).unwrap(), t);
        std::fs::set_permissions(
            dir.path().join(TOKEN_FILE),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let err = load_or_create(dir.path()).unwrap_err().to_string();
        assert!(err.contains("other accounts"), "{err}");
    }

    #[test]
    fn tokens_are_checked_and_links_encoded() {
        assert!(check("short").is_err());
        assert!(check(&"a;b".repeat(8)).is_err());
        assert!(check(&"x".repeat(16)).is_ok());
        assert_eq!(
            sign_in_url("http://127.0.0.1:7878", "ab&c+d#e%f"),
            "http://127.0.0.1:7878/?token=ab%26c%2Bd%23e%25f"
        );
    }
}
