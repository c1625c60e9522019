//! How fast the bots answer: a first-token delay, then one delta per interval.
//!
//! | Pace | first token | delta interval | for |
//! | --- | --- | --- | --- |
//! | `realistic` | 800 ms | 50 ms | `coze emulator` and `coze demo` (the default there): close to a fast real model on Coze, whose first token comes after roughly 0.5–1.5 s (Coze's own work plus the model) and whose text then streams at about 20 deltas a second, a word or two each |
//! | `fast` | 20 ms | 2 ms | tests that do not test timing (the default of [`crate::EmulatorConfig`]): every state is still observable, a chat takes well under 0.1 s |
//! | `instant` | 0 | 0 | benchmarks: the whole answer is written at once |
//! | custom | any | any | `--pace 1500,80` (milliseconds), [`Pace::Custom`] |
//!
//! A chat is `in_progress` (and its conversation busy, 4016) from its creation until its last
//! event; its messages are stored one by one as they are produced. Workflows follow the same
//! pace: every node waits one first-token delay before its first message and one delta
//! interval between its chunks, so async runs stay `Running` for a while.
//!
//! Change it at run time with `POST /_emulator/pace` (`{"pace": "fast"}` or
//! `{"first_token_ms": 300, "delta_interval_ms": 20}`); `GET` reads it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Longest delay a custom pace may set, so a typo cannot hang every chat for hours.
pub const MAX_DELAY_MS: u64 = 60_000;

/// A bot's answering pace; see the module docs for the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// No delay at all (benchmarks).
    Instant,
    /// Tiny delays: states stay observable, tests stay quick.
    Fast,
    /// Close to a fast real model on Coze.
    Realistic,
    /// Explicit delays in milliseconds (each at most [`MAX_DELAY_MS`]).
    Custom {
        first_token_ms: u64,
        delta_interval_ms: u64,
    },
}

impl Pace {
    /// Delay before the first token (and before each workflow node).
    pub fn first_token(self) -> Duration {
        Duration::from_millis(self.millis().0)
    }

    /// Delay between two deltas (and between the chunks and messages that follow).
    pub fn delta_interval(self) -> Duration {
        Duration::from_millis(self.millis().1)
    }

    fn millis(self) -> (u64, u64) {
        match self {
            Pace::Instant => (0, 0),
            Pace::Fast => (20, 2),
            Pace::Realistic => (800, 50),
            Pace::Custom {
                first_token_ms,
                delta_interval_ms,
            } => (first_token_ms, delta_interval_ms),
        }
    }

    /// The name (`realistic`, `fast`, `instant`, `custom`).
    pub fn name(self) -> &'static str {
        match self {
            Pace::Instant => "instant",
            Pace::Fast => "fast",
            Pace::Realistic => "realistic",
            Pace::Custom { .. } => "custom",
        }
    }

    /// `{"pace": name, "first_token_ms": n, "delta_interval_ms": n}` (`GET /_emulator/pace`).
    pub fn to_json(self) -> Value {
        let (first, interval) = self.millis();
        json!({"pace": self.name(), "first_token_ms": first, "delta_interval_ms": interval})
    }

    /// A custom pace, checked.
    ///
    /// # Errors
    /// When a delay is above [`MAX_DELAY_MS`].
    pub fn custom(first_token_ms: u64, delta_interval_ms: u64) -> Result<Pace, PaceError> {
        if first_token_ms > MAX_DELAY_MS || delta_interval_ms > MAX_DELAY_MS {
            return Err(PaceError(format!(
                "pace delays must be at most {MAX_DELAY_MS} ms, got {first_token_ms},{delta_interval_ms}"
            )));
        }
        Ok(Pace::Custom {
            first_token_ms,
            delta_interval_ms,
        })
    }
}

impl fmt::Display for Pace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pace::Custom {
                first_token_ms,
                delta_interval_ms,
            } => write!(f, "{first_token_ms},{delta_interval_ms}"),
            other => f.write_str(other.name()),
        }
    }
}

/// A pace that does not parse; the message says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PaceError(String);

impl FromStr for Pace {
    type Err = PaceError;

    /// `realistic`, `fast`, `instant`, or `FIRST_TOKEN_MS,DELTA_INTERVAL_MS` (e.g. `800,50`).
    fn from_str(s: &str) -> Result<Pace, PaceError> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "realistic" => return Ok(Pace::Realistic),
            "fast" => return Ok(Pace::Fast),
            "instant" => return Ok(Pace::Instant),
            _ => {}
        }
        let bad = || {
            PaceError(format!(
                "unknown pace {s:?}: use realistic, fast, instant, or FIRST_TOKEN_MS,DELTA_INTERVAL_MS such as 800,50"
            ))
        };
        let (first, interval) = s.split_once(',').ok_or_else(bad)?;
        let ms = |v: &str| {
            v.trim()
                .trim_end_matches("ms")
                .parse::<u64>()
                .map_err(|_| bad())
        };
        Pace::custom(ms(first)?, ms(interval)?)
    }
}

/// The JSON body of `POST /_emulator/pace`: a name, or the two delays.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaceBody {
    pub pace: Option<String>,
    pub first_token_ms: Option<u64>,
    pub delta_interval_ms: Option<u64>,
}

impl PaceBody {
    /// The pace this body asks for.
    ///
    /// # Errors
    /// An unknown name, a name together with delays, a missing delay or one too long.
    pub fn into_pace(self) -> Result<Pace, PaceError> {
        match (self.pace, self.first_token_ms, self.delta_interval_ms) {
            (Some(name), None, None) => name.parse(),
            (None, Some(first), Some(interval)) => Pace::custom(first, interval),
            _ => Err(PaceError(
                "send {\"pace\": \"realistic|fast|instant\"} or {\"first_token_ms\": N, \"delta_interval_ms\": N}"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_millis() {
        assert_eq!("Realistic".parse::<Pace>(), Ok(Pace::Realistic));
        assert_eq!("fast".parse::<Pace>(), Ok(Pace::Fast));
        assert_eq!("instant".parse::<Pace>(), Ok(Pace::Instant));
        assert_eq!(
            "1500, 80ms".parse::<Pace>(),
            Ok(Pace::Custom {
                first_token_ms: 1500,
                delta_interval_ms: 80
            })
        );
        assert!("slow".parse::<Pace>().is_err());
        assert!("5,".parse::<Pace>().is_err());
        assert!("70000,1".parse::<Pace>().is_err());
        assert_eq!(Pace::Realistic.first_token(), Duration::from_millis(800));
        assert_eq!(
            "800,50".parse::<Pace>().map(|p| p.to_string()).as_deref(),
            Ok("800,50")
        );
    }

    #[test]
    fn body_forms() {
        let named: PaceBody = serde_json::from_value(json!({"pace": "fast"})).unwrap_or_default();
        assert_eq!(named.into_pace(), Ok(Pace::Fast));
        let both = PaceBody {
            pace: Some("fast".into()),
            first_token_ms: Some(1),
            delta_interval_ms: None,
        };
        assert!(both.into_pace().is_err());
        assert!(PaceBody::default().into_pace().is_err());
    }
}
