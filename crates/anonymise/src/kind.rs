//! The kinds of identifying detail the anonymiser knows about.

use std::fmt;
use std::str::FromStr;

/// What sort of identifying detail a [`Finding`](crate::Finding) is.
///
/// The serde names and [`Kind::as_str`] use the same `snake_case` spelling,
/// which is also what the corpus labels and the redaction markers use.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An e-mail address.
    Email,
    /// A telephone number, international or national format.
    Phone,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A web address, with scheme, `www.` or as a bare domain.
    Url,
    /// A social media handle (`@name`, `u/name`, `t.me/name`).
    Handle,
    /// Latitude/longitude, decimal or degrees-minutes-seconds.
    Coordinates,
    /// A street address, street name or postcode.
    Address,
    /// A vehicle registration plate.
    LicencePlate,
    /// A precise date or clock time.
    DateTime,
    /// A person's name.
    PersonName,
    /// A member alias from the circle's [`Lexicon`](crate::Lexicon).
    MemberAlias,
    /// A word or phrase the circle asked to always redact.
    RedactWord,
}

const ALL: [Kind; 12] = [
    Kind::Email,
    Kind::Phone,
    Kind::IpAddress,
    Kind::Url,
    Kind::Handle,
    Kind::Coordinates,
    Kind::Address,
    Kind::LicencePlate,
    Kind::DateTime,
    Kind::PersonName,
    Kind::MemberAlias,
    Kind::RedactWord,
];

impl Kind {
    /// The `snake_case` name, as used in serde and in redaction markers.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::IpAddress => "ip_address",
            Kind::Url => "url",
            Kind::Handle => "handle",
            Kind::Coordinates => "coordinates",
            Kind::Address => "address",
            Kind::LicencePlate => "licence_plate",
            Kind::DateTime => "date_time",
            Kind::PersonName => "person_name",
            Kind::MemberAlias => "member_alias",
            Kind::RedactWord => "redact_word",
        }
    }

    /// Every kind, in declaration order.
    pub fn all() -> &'static [Kind] {
        &ALL
    }

    /// Tie-break rank when two candidate spans of equal length overlap:
    /// lower wins. Structured, self-validating formats come first because a
    /// false match there is rarer than for names or dates.
    pub(crate) fn priority(self) -> u8 {
        match self {
            Kind::MemberAlias => 0,
            Kind::RedactWord => 1,
            Kind::Email => 2,
            Kind::Url => 3,
            Kind::Handle => 4,
            Kind::IpAddress => 5,
            Kind::Coordinates => 6,
            Kind::Phone => 7,
            Kind::LicencePlate => 8,
            Kind::Address => 9,
            Kind::DateTime => 10,
            Kind::PersonName => 11,
        }
    }

    /// Lexicon kinds are the circle's own words and always win overlaps.
    pub(crate) fn is_lexicon(self) -> bool {
        matches!(self, Kind::MemberAlias | Kind::RedactWord)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when parsing an unknown kind name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown kind {:?}", self.0)
    }
}

impl std::error::Error for UnknownKind {}

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        ALL.iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for &k in Kind::all() {
            assert_eq!(k.as_str().parse::<Kind>(), Ok(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            let back: Kind = serde_json::from_str(&json).unwrap();
            assert_eq!(back, k);
        }
        assert!("nonsense".parse::<Kind>().is_err());
    }
}
