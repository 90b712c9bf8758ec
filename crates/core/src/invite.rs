//! Invite codes: what a sister circle needs to find and verify this one.
//!
//! Text form, readable and QR-friendly:
//! `circle:<circle id hex>?peer=<PeerId>&addr=<multiaddr>&addr=…`

use std::fmt;
use std::str::FromStr;

use crate::keys::Hash32;

/// Longest invite accepted (bounds parsing of untrusted text).
pub const MAX_INVITE_LEN: usize = 4096;
const MAX_ADDRS: usize = 16;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invite {
    pub circle_id: Hash32,
    pub peer_id: Option<String>,
    pub addrs: Vec<String>,
}

impl fmt::Display for Invite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "circle:{}", self.circle_id.to_hex())?;
        let mut sep = '?';
        if let Some(p) = &self.peer_id {
            write!(f, "{sep}peer={p}")?;
            sep = '&';
        }
        for a in &self.addrs {
            write!(f, "{sep}addr={a}")?;
            sep = '&';
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an invite code: {0}")]
pub struct InviteError(&'static str);

impl FromStr for Invite {
    type Err = InviteError;

    fn from_str(s: &str) -> Result<Invite, InviteError> {
        let s = s.trim();
        if s.len() > MAX_INVITE_LEN {
            return Err(InviteError("too long"));
        }
        let rest = s
            .strip_prefix("circle:")
            .ok_or(InviteError("must start with `circle:`"))?;
        let (id, query) = rest.split_once('?').unwrap_or((rest, ""));
        let circle_id = Hash32::from_hex(id).map_err(|_| InviteError("bad circle id"))?;
        let mut invite = Invite {
            circle_id,
            peer_id: None,
            addrs: Vec::new(),
        };
        for part in query.split('&').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some(("peer", v)) if !v.is_empty() => invite.peer_id = Some(v.to_owned()),
                Some(("addr", v)) if v.starts_with('/') && invite.addrs.len() < MAX_ADDRS => {
                    invite.addrs.push(v.to_owned())
                }
                _ => return Err(InviteError("unknown or malformed field")),
            }
        }
        Ok(invite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_rejects() {
        let i = Invite {
            circle_id: Hash32([3; 32]),
            peer_id: Some("12D3KooWabc".into()),
            addrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        };
        assert_eq!(i.to_string().parse::<Invite>().unwrap(), i);
        for bad in ["", "circle:zz", "http://x", "circle:0303?evil=1"] {
            assert!(bad.parse::<Invite>().is_err(), "{bad}");
        }
    }
}
