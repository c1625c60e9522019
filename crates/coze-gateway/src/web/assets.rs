//! The page's files, embedded in the binary (hand-written: no build step, nothing to keep in
//! sync, no CDN). Served with a content hash as ETag.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    name: &'static str,
    mime: &'static str,
    body: &'static [u8],
}

const INDEX: Asset = Asset {
    name: "index.html",
    mime: "text/html; charset=utf-8",
    body: include_bytes!("assets/index.html"),
};

const EMBED: Asset = Asset {
    name: "embed.js",
    mime: "text/javascript; charset=utf-8",
    body: include_bytes!("assets/embed.js"),
};

const FILES: &[Asset] = &[
    Asset {
        name: "app.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/app.js"),
    },
    Asset {
        name: "markdown.js",
        mime: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/markdown.js"),
    },
    Asset {
        name: "app.css",
        mime: "text/css; charset=utf-8",
        body: include_bytes!("assets/app.css"),
    },
    Asset {
        name: "icon.svg",
        mime: "image/svg+xml",
        body: include_bytes!("assets/icon.svg"),
    },
];

fn serve(asset: &Asset, headers: &HeaderMap, cache: &'static str) -> Response {
    let digest = Sha256::digest(asset.body);
    let etag = format!(
        "\"{}\"",
        digest[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime))],
            asset.body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

pub async fn index(headers: HeaderMap) -> Response {
    serve(&INDEX, &headers, "no-cache")
}

pub async fn embed(headers: HeaderMap) -> Response {
    serve(&EMBED, &headers, "no-cache")
}

pub async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match FILES.iter().find(|a| a.name == file) {
        Some(asset) => serve(asset, &headers, "no-cache"),
        None => (StatusCode::NOT_FOUND, "no such file\n").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_output_is_never_parsed_as_html() {
        // The page builds bot answers from DOM nodes only: no innerHTML/outerHTML/
        // insertAdjacentHTML/document.write/eval anywhere in its scripts.
        for asset in FILES.iter().chain([&EMBED]) {
            if !asset.name.ends_with(".js") {
                continue;
            }
            let text = std::str::from_utf8(asset.body).expect("utf-8");
            for banned in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
                "eval(",
                "new Function",
            ] {
                assert!(!text.contains(banned), "{} uses {banned}", asset.name);
            }
        }
        let html = std::str::from_utf8(INDEX.body).expect("utf-8");
        assert!(
            !html.contains("<script>"),
            "no inline script (CSP script-src 'self')"
        );
        assert!(
            !html.contains("style="),
            "no inline style (CSP style-src 'self')"
        );
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "no CDN"
        );
    }
}
