//! Geographic coordinates: decimal latitude/longitude pairs and
//! degrees-minutes-seconds.

use regex::Regex;

use super::push;
use crate::util::{after, char_at, char_before, compile};
use crate::{Finding, Kind};

#[derive(Debug)]
pub(crate) struct Geo {
    decimal: Option<Regex>,
    dms: Option<Regex>,
}

impl Geo {
    pub(crate) fn new() -> Geo {
        Geo {
            // Optional hemisphere letters before or after each number.
            decimal: compile(
                r"(?x)
                (?:\b(?P<h1>[NS])\s?)?
                (?P<lat>[-+−]?\d{1,2}\.(?P<latd>\d{3,8}))\s?°?\s?(?:(?P<h2>[NS])\b)?
                \s*[,;/]?\s*
                (?:\b(?P<h3>[EWO])\s?)?
                (?P<lon>[-+−]?\d{1,3}\.(?P<lond>\d{3,8}))(?:\s?°)?(?:\s?(?P<h4>[EWO])\b)?",
            ),
            // 51°30'26"N or 51° 30′ 26.5″ N, optionally followed by the
            // other axis.
            dms: compile(
                r#"(?x)
                \d{1,3}\s?°\s?\d{1,2}(?:[.,]\d+)?\s?['′’]\s?(?:\d{1,2}(?:[.,]\d+)?\s?(?:["″”]|''|’’)\s?)?[NSEWO]\b
                (?:[\s,;]{0,3}\d{1,3}\s?°\s?\d{1,2}(?:[.,]\d+)?\s?['′’]\s?(?:\d{1,2}(?:[.,]\d+)?\s?(?:["″”]|''|’’)\s?)?[NSEWO]\b)?"#,
            ),
        }
    }

    pub(crate) fn find(&self, text: &str, out: &mut Vec<Finding>) {
        if let Some(re) = &self.decimal {
            for caps in re.captures_iter(text) {
                let Some(whole) = caps.get(0) else { continue };
                let (Some(lat), Some(lon)) = (caps.name("lat"), caps.name("lon")) else {
                    continue;
                };
                let lat_v = parse(lat.as_str());
                let lon_v = parse(lon.as_str());
                let (Some(lat_v), Some(lon_v)) = (lat_v, lon_v) else {
                    continue;
                };
                let decimals_lat = caps.name("latd").map_or(0, |m| m.as_str().len());
                let decimals_lon = caps.name("lond").map_or(0, |m| m.as_str().len());
                let hemis = ["h1", "h2", "h3", "h4"]
                    .iter()
                    .any(|h| caps.name(h).is_some());
                // Prices have two decimals and European thousands have three,
                // so insist on four somewhere unless a hemisphere letter says
                // "this is a coordinate".
                let precise = decimals_lat.max(decimals_lon) >= 4 || hemis;
                let glued = char_before(text, whole.start())
                    .is_some_and(|c| c.is_ascii_digit() || c == '.' || c == ',')
                    || char_at(text, whole.end()).is_some_and(|c| c.is_ascii_digit());
                let money = after(text, whole.end(), 4)
                    .trim_start()
                    .starts_with(['€', '$', '£']);
                if lat_v.abs() <= 90.0 && lon_v.abs() <= 180.0 && precise && !glued && !money {
                    push(out, Kind::Coordinates, text, whole.start(), whole.end());
                }
            }
        }
        if let Some(re) = &self.dms {
            for m in re.find_iter(text) {
                push(out, Kind::Coordinates, text, m.start(), m.end());
            }
        }
    }
}

fn parse(s: &str) -> Option<f64> {
    s.replace('−', "-").parse::<f64>().ok()
}
