//! `coze doctor`: what is configured, where the token comes from, whether the server accepts
//! it (and which region it belongs to when it does not), whether the Coze hosts answer, the
//! clock, the credentials file. One line per check: `ok`, `warning` or `error`, with a hint;
//! `--json` prints one object per check. Exit status 1 when a check is an error (warnings
//! alone leave it 0: a coze.cn user may never reach api.coze.com, and that is fine).
//!
//! The region hosts it checks are api.coze.cn and api.coze.com; `COZE_DOCTOR_REGIONS`
//! (`cn=URL,com=URL`) replaces them, so tests point it at local emulators and never at the
//! internet. The other region is only tried with the token when the base URL in use is one of
//! these hosts: a custom base URL (Coze Studio, an emulator) is said to be one. When the other
//! region cannot be asked, a refused token that has the form of a Coze token (`pat_`, `czu_`,
//! `czs_`) is still said to possibly be the other region's, first in the hint.
//!
//! A stored login (a profile) is checked against the base URL in use: a login made for one
//! server and sent to another (`--region`, `--base-url`, `COZE_API_BASE` or `COZE_REGION`
//! overriding the profile) is a warning naming the server it was made for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use coze_sdk::{Client, Secret, StaticToken};
use serde::Serialize;

use crate::cli::Region;
use crate::config::{AuthMethod, time};
use crate::error::CliError;
use crate::output::Output;
use crate::settings::{self, Credentials, Settings};

/// Replaces the region hosts doctor checks (`cn=URL,com=URL`; for tests).
pub const ENV_REGIONS: &str = "COZE_DOCTOR_REGIONS";

const TIMEOUT: Duration = Duration::from_secs(10);
/// Clock skew beyond this is a warning (token expiry and JWT `iat` checks get unreliable)...
const SKEW_WARN: i64 = 30;
/// ... and beyond this an error (Coze refuses JWTs far from its clock).
const SKEW_ERROR: i64 = 300;

#[derive(Debug, Args)]
pub struct DoctorArgs {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warning,
    Error,
}

#[derive(Debug, Serialize)]
struct Check {
    check: String,
    status: Status,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
}

impl Check {
    fn new(check: impl Into<String>, status: Status, message: impl Into<String>) -> Self {
        Self {
            check: check.into(),
            status,
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

/// A region and its API base URL.
#[derive(Debug, Clone)]
struct RegionHost {
    name: String,
    base: String,
}

fn region_hosts() -> anyhow::Result<Vec<RegionHost>> {
    let Some(spec) = std::env::var(ENV_REGIONS)
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok([Region::Cn, Region::Com]
            .into_iter()
            .map(|r| RegionHost {
                name: r.as_str().to_string(),
                base: settings::region_base(r).to_string(),
            })
            .collect());
    };
    spec.split(',')
        .map(|part| match part.split_once('=') {
            Some((name, base)) if !name.trim().is_empty() && !base.trim().is_empty() => {
                Ok(RegionHost {
                    name: name.trim().to_string(),
                    base: base.trim().trim_end_matches('/').to_string(),
                })
            }
            _ => Err(
                CliError::usage(format!("{ENV_REGIONS} has a bad entry `{part}`"))
                    .with_hint("write it as cn=URL,com=URL")
                    .into(),
            ),
        })
        .collect()
}

/// # Errors
/// Exit status 1 (already reported) when a check failed; a usage error for a bad
/// `COZE_DOCTOR_REGIONS`.
pub async fn run(_args: DoctorArgs, settings: &Settings) -> anyhow::Result<()> {
    let regions = region_hosts()?;
    let base = settings.base_url.trim_end_matches('/').to_string();
    let region_in_use = regions.iter().find(|r| r.base == base).cloned();
    let mut checks = vec![
        config_check(settings),
        endpoint_check(settings, region_in_use.as_ref()),
    ];
    checks.extend(token_checks(settings));
    checks.extend(issued_check(settings, &regions));
    checks.extend(auth_checks(settings, &regions, region_in_use.as_ref()).await);

    // Reachability: the server in use first, then the region hosts not in use.
    let mut targets = vec![(base.clone(), true)];
    targets.extend(
        regions
            .iter()
            .filter(|r| r.base != base)
            .map(|r| (r.base.clone(), false)),
    );
    for (url, in_use) in targets {
        checks.extend(reach_checks(&url, in_use).await);
    }
    checks.push(credentials_file_check(settings));

    report(&checks, &settings.output)?;
    if checks.iter().any(|c| c.status == Status::Error) {
        return Err(CliError::reported().into());
    }
    Ok(())
}

fn report(checks: &[Check], out: &Output) -> anyhow::Result<()> {
    if out.json() {
        for check in checks {
            out.json_line(check)?;
        }
        return Ok(());
    }
    let style = out.out_style();
    let width = checks
        .iter()
        .map(|c| c.check.chars().count())
        .max()
        .unwrap_or(0);
    for check in checks {
        let status = match check.status {
            Status::Ok => style.accent("ok     "),
            Status::Warning => style.warn("warning"),
            Status::Error => style.error("error  "),
        };
        out.line(&format!(
            "{status}  {:width$}  {}",
            check.check,
            crate::output::clean(&check.message)
        ))?;
        if let Some(hint) = &check.hint {
            let pad = " ".repeat(width + 11);
            out.line(&format!("{pad}{} {hint}", style.hint("hint:")))?;
        }
    }
    Ok(())
}

fn config_check(settings: &Settings) -> Check {
    let profile = &settings.profile;
    let file = crate::config::ConfigFile::path_in(&profile.dir);
    let message = if file.exists() {
        format!("profile `{}`, {}", profile.name, file.display())
    } else {
        format!(
            "profile `{}`, no config file ({} does not exist; defaults apply)",
            profile.name,
            file.display()
        )
    };
    match profile.require_known() {
        Ok(()) => Check::new("config", Status::Ok, message),
        Err(e) => Check::new("config", Status::Error, e.to_string()).hint(
            e.hint()
                .unwrap_or("check --profile / COZE_PROFILE")
                .to_string(),
        ),
    }
}

fn endpoint_check(settings: &Settings, region: Option<&RegionHost>) -> Check {
    let from = settings.base_origin.describe("--base-url/--region");
    let message = match region {
        Some(r) => format!("{} (region {}, from {from})", settings.base_url, r.name),
        None => format!(
            "{} (a custom base URL, from {from}: not coze.cn or coze.com)",
            settings.base_url
        ),
    };
    Check::new("endpoint", Status::Ok, message)
}

/// Where the token comes from and when it expires.
fn token_checks(settings: &Settings) -> Vec<Check> {
    let now = time::now();
    match &settings.credentials {
        None => vec![
            Check::new("token", Status::Error, "no access token configured").hint(format!(
                "run `coze auth login`, pass --token or set {}; create a personal access token at {}",
                settings::env::TOKEN,
                settings::pat_page(&settings.base_url)
            )),
        ],
        Some(Credentials::Unreadable(e)) => vec![
            Check::new("token", Status::Error, e.to_string())
                .hint(e.hint().unwrap_or("log in again: coze auth login").to_string()),
        ],
        Some(Credentials::Static { token, origin }) => {
            let kind = token_kind(token);
            vec![Check::new(
                "token",
                Status::Ok,
                format!(
                    "{kind} from {} (its expiry is not known locally)",
                    origin.describe("--token")
                ),
            )]
        }
        Some(Credentials::Profile { name, stored }) => {
            let method = stored.method.as_str();
            let issued = stored
                .region
                .clone()
                .map_or_else(|| stored.base_url.clone(), |r| format!("region {r}"));
            let mut checks = vec![Check::new(
                "token",
                Status::Ok,
                format!("profile `{name}`: {method} login for {issued}"),
            )];
            let expiry = match stored.method {
                AuthMethod::Pat => stored.pat_expires_at,
                _ => stored.expires_at,
            };
            let renewable = stored.method == AuthMethod::Jwt
                || (stored.refresh_token.is_some()
                    && stored.refresh_expires_at.is_none_or(|t| t > now));
            let login = crate::settings::source::login_command(name);
            checks.push(match expiry {
                None => Check::new("expiry", Status::Ok, "no expiry recorded"),
                Some(t) if t > now + 3 * 86_400 || (t > now && renewable) => {
                    Check::new("expiry", Status::Ok, format!("expires {}", time::describe(t, now)))
                }
                Some(t) if t > now => Check::new(
                    "expiry",
                    Status::Warning,
                    format!("expires {}", time::describe(t, now)),
                )
                .hint(format!("log in again soon: {login}")),
                Some(t) if renewable => Check::new(
                    "expiry",
                    Status::Ok,
                    format!(
                        "access token {}; renewed on next use",
                        time::format_relative(t, now)
                    ),
                ),
                Some(t) => Check::new(
                    "expiry",
                    Status::Error,
                    format!("{} ({})", time::format_relative(t, now), time::format_utc(t)),
                )
                .hint(format!("log in again: {login}")),
            });
            checks
        }
    }
}

/// A profile's login belongs to the server it was made on: when the base URL in use is another
/// one (`--base-url`, `--region`, `COZE_API_BASE`, `COZE_REGION` override the profile's), the
/// token is sent where it was not issued. A warning: a proxy in front of the same region is
/// fine; the auth line says whether the server accepts it.
fn issued_check(settings: &Settings, regions: &[RegionHost]) -> Option<Check> {
    let Some(Credentials::Profile { name, stored }) = &settings.credentials else {
        return None;
    };
    let issued = stored.base_url.trim_end_matches('/');
    let in_use = settings.base_url.trim_end_matches('/');
    if issued == in_use {
        return None;
    }
    let region = stored.region.clone().or_else(|| {
        regions
            .iter()
            .find(|r| r.base == issued)
            .map(|r| r.name.clone())
    });
    let (server, flag) = match &region {
        Some(r) => (format!("region {r} ({issued})"), format!("--region {r}")),
        None => (issued.to_string(), format!("--base-url {issued}")),
    };
    let from = settings.base_origin.describe("--base-url/--region");
    Some(
        Check::new(
            "login server",
            Status::Warning,
            format!(
                "the login of profile `{name}` was made for {server}, but {in_use} is in use (from {from})"
            ),
        )
        .hint(format!(
            "call the server the token belongs to ({flag}, or unset COZE_API_BASE / COZE_REGION), or log in for {in_use} with `{} --base-url {in_use}`",
            crate::settings::source::login_command(name)
        )),
    )
}

/// Whether the token has the form of a Coze token (a personal access token, an OAuth user
/// token or a JWT service token), which either region could have issued.
fn looks_like_coze_token(token: &Secret) -> bool {
    let token = token.expose();
    ["pat_", "czu_", "czs_"]
        .iter()
        .any(|prefix| token.len() > prefix.len() && token.starts_with(prefix))
}

fn token_kind(token: &Secret) -> &'static str {
    if token.expose().starts_with("pat_") {
        "a personal access token"
    } else {
        "a token"
    }
}

/// The token as it would be sent now (no refresh): for trying it on the other region.
fn current_token(settings: &Settings) -> Option<Secret> {
    match &settings.credentials {
        Some(Credentials::Static { token, .. }) => Some(token.clone()),
        Some(Credentials::Profile { stored, .. }) => Some(stored.access_token.clone()),
        _ => None,
    }
}

/// Whether the server accepts the token; when it refuses, which region does.
async fn auth_checks(
    settings: &Settings,
    regions: &[RegionHost],
    in_use: Option<&RegionHost>,
) -> Vec<Check> {
    let Ok(client) = settings.client() else {
        return Vec::new();
    };
    let err = match tokio::time::timeout(TIMEOUT, client.users().me()).await {
        Ok(Ok(me)) => {
            return vec![Check::new(
                "auth",
                Status::Ok,
                format!(
                    "{} accepts the token: {} (@{})",
                    settings.base_url, me.nick_name, me.user_name
                ),
            )];
        }
        Ok(Err(err)) => err,
        Err(_) => {
            return vec![
                Check::new(
                    "auth",
                    Status::Error,
                    format!(
                        "{} did not answer within {}s",
                        settings.base_url,
                        TIMEOUT.as_secs()
                    ),
                )
                .hint("see the reach lines below"),
            ];
        }
    };
    let refused = matches!(err.code(), Some(4100 | 700_012_006)) || err.status() == Some(401);
    if !refused {
        return vec![
            Check::new(
                "auth",
                Status::Error,
                format!(
                    "asking {} who the token belongs to failed: {err}",
                    settings.base_url
                ),
            )
            .hint("see the reach lines below; retry with -v for the request log"),
        ];
    }
    let refusal = format!("{} refused the token ({err})", settings.base_url);
    let Some(in_use) = in_use else {
        return vec![Check::new("auth", Status::Error, refusal).hint(
            "the token is expired or revoked, or belongs to another server: a coze.cn token works only on api.coze.cn and a coze.com token only on api.coze.com (this base URL is custom, so doctor does not try the regions)",
        )];
    };
    let Some(token) = current_token(settings) else {
        return vec![Check::new("auth", Status::Error, refusal)];
    };
    let mut refusing = Vec::new();
    let mut unasked = Vec::new();
    for other in regions.iter().filter(|r| r.name != in_use.name) {
        let answer = accepts(&other.base, &token).await;
        if answer == Some(false) {
            refusing.push(other.name.as_str());
        } else if answer.is_none() {
            unasked.push(other.name.as_str());
        }
        if answer == Some(true) {
            return vec![
                Check::new(
                    "auth",
                    Status::Error,
                    format!(
                        "{refusal}; the token belongs to region {} ({})",
                        other.name, other.base
                    ),
                )
                .hint(format!(
                    "use --region {} (or COZE_REGION={}), or create a token for region {} at {}",
                    other.name,
                    other.name,
                    in_use.name,
                    settings::pat_page(&in_use.base)
                )),
            ];
        }
    }
    let mut message = refusal;
    if !refusing.is_empty() {
        message.push_str(&format!("; region {} refuses it too", refusing.join(", ")));
    }
    if !unasked.is_empty() {
        message.push_str(&format!(
            "; region {} could not be asked",
            unasked.join(", ")
        ));
    }
    let renew = format!(
        "create a new one at {} or run `coze auth login`",
        settings::pat_page(&in_use.base)
    );
    // A Coze token that no region could be asked about may well be the other region's: the
    // most common mistake, so it comes first.
    let hint = match unasked.first() {
        Some(other) if looks_like_coze_token(&token) => format!(
            "the token may belong to region {other}, which could not be asked (see the reach lines below): a token works only in the region that issued it, so try --region {other} once it is reachable; otherwise the token is expired or revoked: {renew}"
        ),
        _ => format!("the token is expired or revoked: {renew}"),
    };
    vec![Check::new("auth", Status::Error, message).hint(hint)]
}

/// Whether the API at `base` accepts `token` (`GET /v1/users/me`); `None` when it could not
/// be asked (unreachable, or an error other than a refusal).
async fn accepts(base: &str, token: &Secret) -> Option<bool> {
    let client = Client::builder()
        .base_url(base)
        .token_source(Arc::new(StaticToken::from(token.clone())))
        .build()
        .ok()?;
    match tokio::time::timeout(TIMEOUT, client.users().me()).await {
        Ok(Ok(_)) => Some(true),
        Ok(Err(e)) if matches!(e.code(), Some(4100 | 700_012_006)) || e.status() == Some(401) => {
            Some(false)
        }
        _ => None,
    }
}

/// DNS, connect and HTTPS to `base`; the clock against its `Date` header when it is the
/// server in use. A host not in use that fails is a warning, the one in use an error.
async fn reach_checks(base: &str, in_use: bool) -> Vec<Check> {
    let name = format!("reach {}", host_of(base));
    let failed = if in_use {
        Status::Error
    } else {
        Status::Warning
    };
    let Ok(url) = url::Url::parse(base) else {
        return vec![Check::new(
            name,
            Status::Error,
            format!("{base} is not a URL"),
        )];
    };
    let host = url.host_str().unwrap_or_default().to_string();
    let port = url.port_or_known_default().unwrap_or(443);

    let start = Instant::now();
    let addrs =
        match tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host.as_str(), port))).await {
            Ok(Ok(addrs)) => addrs.collect::<Vec<_>>(),
            Ok(Err(e)) => {
                return vec![
                    Check::new(name, failed, format!("DNS lookup of {host} failed: {e}"))
                        .hint("check the network and DNS settings (a proxy or VPN may be needed)"),
                ];
            }
            Err(_) => {
                return vec![
                    Check::new(name, failed, format!("DNS lookup of {host} timed out"))
                        .hint("check the network and DNS settings"),
                ];
            }
        };
    let dns = start.elapsed();
    let Some(addr) = addrs.first().copied() else {
        return vec![Check::new(name, failed, format!("{host} has no address"))];
    };
    let start = Instant::now();
    match tokio::time::timeout(TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            return vec![
                Check::new(name, failed, format!("cannot connect to {addr}: {e}"))
                    .hint("a firewall or proxy may block it"),
            ];
        }
        Err(_) => {
            return vec![
                Check::new(name, failed, format!("connecting to {addr} timed out"))
                    .hint("a firewall or proxy may block it"),
            ];
        }
    }
    let connect = start.elapsed();

    let http = match reqwest::Client::builder().timeout(TIMEOUT).build() {
        Ok(http) => http,
        Err(e) => {
            return vec![Check::new(
                name,
                Status::Error,
                format!("no HTTP client: {e}"),
            )];
        }
    };
    let start = Instant::now();
    let response = match http.get(base).send().await {
        Ok(response) => response,
        Err(e) => {
            let what = if url.scheme() == "https" {
                "TLS/HTTP"
            } else {
                "HTTP"
            };
            return vec![
                Check::new(name, failed, format!("{what} to {base} failed: {e}"))
                    .hint("a proxy that intercepts TLS, or a firewall, may be in the way"),
            ];
        }
    };
    let request = start.elapsed();
    let tls = if url.scheme() == "https" {
        "TLS ok"
    } else {
        "plain HTTP"
    };
    let mut checks = vec![Check::new(
        name,
        Status::Ok,
        format!(
            "DNS {}, connect {}, {tls}, first response {}",
            millis(dns),
            millis(connect),
            millis(request)
        ),
    )];
    if in_use {
        checks.push(clock_check(response.headers().get(reqwest::header::DATE)));
    }
    checks
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn clock_check(date: Option<&reqwest::header::HeaderValue>) -> Check {
    let Some(server) = date
        .and_then(|d| d.to_str().ok())
        .and_then(time::parse_http_date)
    else {
        return Check::new(
            "clock",
            Status::Warning,
            "the server sent no usable Date header",
        )
        .hint("the clock could not be compared");
    };
    let skew = time::now() - server;
    let message = match skew {
        0 => "in step with the server".to_string(),
        s if s > 0 => format!("{s} s ahead of the server"),
        s => format!("{} s behind the server", -s),
    };
    let status = match skew.abs() {
        s if s > SKEW_ERROR => Status::Error,
        s if s > SKEW_WARN => Status::Warning,
        _ => Status::Ok,
    };
    let check = Check::new("clock", status, message);
    if status == Status::Ok {
        check
    } else {
        check.hint("set the clock right (enable NTP): token expiry and JWT logins depend on it")
    }
}

fn host_of(base: &str) -> String {
    url::Url::parse(base)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| {
                u.port()
                    .map_or_else(|| h.to_string(), |p| format!("{h}:{p}"))
            })
        })
        .unwrap_or_else(|| base.to_string())
}

/// `credentials.json` readable by the user only.
fn credentials_file_check(settings: &Settings) -> Check {
    let path = settings.profile.store.path();
    let Ok(meta) = std::fs::metadata(&path) else {
        return Check::new(
            "credentials",
            Status::Ok,
            format!("{} does not exist (no stored login)", path.display()),
        );
    };
    permissions_check(&path, &meta)
}

#[cfg(unix)]
fn permissions_check(path: &std::path::Path, meta: &std::fs::Metadata) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        Check::new(
            "credentials",
            Status::Ok,
            format!("{} is readable by you only ({mode:o})", path.display()),
        )
    } else {
        Check::new(
            "credentials",
            Status::Error,
            format!("{} can be read by others (mode {mode:o})", path.display()),
        )
        .hint(format!("chmod 600 {}", path.display()))
    }
}

#[cfg(not(unix))]
fn permissions_check(path: &std::path::Path, _meta: &std::fs::Metadata) -> Check {
    Check::new(
        "credentials",
        Status::Ok,
        format!("{} exists", path.display()),
    )
}
