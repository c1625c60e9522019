//! One helper for the page-number lists of the newer resources: a request per page, the items,
//! `has_more` and `total` picked out of the decoded page.

use serde::de::DeserializeOwned;

use crate::client::{ApiRequest, Client};
use crate::pagination::{Page, Pages, next_page_number, paginate};

/// What a decoded page holds: its items, `has_more` and `total` when the API sends them.
pub(crate) type PageParts<T> = (Vec<T>, Option<bool>, Option<u64>);

/// Pages from `first` (1-based) of `size` items; `request(page, size)` builds a page's
/// request, `parts` splits the decoded page `P`.
pub(crate) fn number_pages<T, P>(
    client: &Client,
    first: u32,
    size: u32,
    request: impl Fn(u32, u32) -> crate::error::Result<ApiRequest> + Send + Sync + 'static,
    parts: fn(P) -> PageParts<T>,
) -> Pages<T>
where
    T: Send + 'static,
    P: DeserializeOwned + Send + 'static,
{
    let client = client.clone();
    let request = std::sync::Arc::new(request);
    paginate(first.max(1), move |page| {
        let client = client.clone();
        let request = request.clone();
        async move {
            let decoded: P = client.send(request(page, size)?).await?;
            let (items, has_more, total) = parts(decoded);
            let next = next_page_number(page, size, items.len(), has_more, total);
            let more = next.is_some();
            Ok((Page::new(items, more, total), next))
        }
    })
}
