//! One stream style for every list shape Coze uses: page number + `has_more`, page number or
//! `page_index` + total, page token, and message-id cursor.
//!
//! A list call returns [`Pages<T>`], a `Stream` of [`Page<T>`] that fetches the next page only
//! when polled; [`Pages::items`] flattens it into a stream of items. The stream ends after
//! the last page or after the first error.
//!
//! For SDK engineers: build one with `paginate(start_cursor, move |cursor| async move {
//! ...; Ok((page, next_cursor)) })`, and compute `next_cursor` with `next_page_number` or
//! `next_token` (all `pub(crate)`), which also stop on empty pages so a misbehaving server
//! cannot loop forever.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::error::Result;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Whether the server said (or implied) that more pages follow.
    pub has_more: bool,
    /// The total number of items, when the endpoint reports it.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// A page of `items`.
    pub fn new(items: Vec<T>, has_more: bool, total: Option<u64>) -> Self {
        Self {
            items,
            has_more,
            total,
        }
    }
}

type PageFuture<T> = Pin<Box<dyn Stream<Item = Result<Page<T>>> + Send>>;

/// A lazy stream of pages.
pub struct Pages<T> {
    inner: PageFuture<T>,
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Pages<T> {
    /// Flattens the pages into a stream of items.
    pub fn items(self) -> Items<T> {
        Items {
            pages: self,
            buffer: VecDeque::new(),
        }
    }

    /// Fetches every remaining page and returns all items.
    ///
    /// # Errors
    ///
    /// The first error of any page request.
    pub async fn collect_all(self) -> Result<Vec<T>> {
        let mut items = self.items();
        let mut out = Vec::new();
        while let Some(item) = std::future::poll_fn(|cx| Pin::new(&mut items).poll_next(cx)).await {
            out.push(item?);
        }
        Ok(out)
    }
}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A lazy stream of the items of all pages.
pub struct Items<T> {
    pages: Pages<T>,
    buffer: VecDeque<T>,
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("buffered", &self.buffer.len())
            .finish_non_exhaustive()
    }
}

impl<T> Unpin for Items<T> {}

impl<T> Stream for Items<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut self.pages).poll_next(cx) {
                Poll::Ready(Some(Ok(page))) => self.buffer.extend(page.items),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Builds a page stream: `fetch(cursor)` returns a page and the cursor of the next page
/// (`None` after the last). The stream stops after the first error.
pub(crate) fn paginate<T, C, F, Fut>(start: C, fetch: F) -> Pages<T>
where
    T: Send + 'static,
    C: Send + 'static,
    F: FnMut(C) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(Page<T>, Option<C>)>> + Send + 'static,
{
    let stream =
        futures_util::stream::unfold((Some(start), fetch), |(cursor, mut fetch)| async move {
            let cursor = cursor?;
            match fetch(cursor).await {
                Ok((page, next)) => Some((Ok(page), (next, fetch))),
                Err(e) => Some((Err(e), (None, fetch))),
            }
        });
    Pages {
        inner: Box::pin(stream),
    }
}

/// The next page number for page-number and page-index lists, following the official SDKs:
/// `has_more` wins when present; else `total > page * size`; else a full page means "maybe
/// more". An empty page always ends the list.
pub(crate) fn next_page_number(
    page: u32,
    page_size: u32,
    received: usize,
    has_more: Option<bool>,
    total: Option<u64>,
) -> Option<u32> {
    if received == 0 {
        return None;
    }
    let more = match (has_more, total) {
        (Some(more), _) => more,
        (None, Some(total)) => total > u64::from(page) * u64::from(page_size),
        (None, None) => received >= page_size as usize,
    };
    more.then(|| page.saturating_add(1))
}

/// The next cursor for page-token and message-id lists: stops when the server says there is
/// nothing more, on an empty page, or when the cursor would not move.
pub(crate) fn next_token(
    current: Option<&str>,
    next: &str,
    has_more: bool,
    received: usize,
) -> Option<String> {
    (has_more && received > 0 && !next.is_empty() && current != Some(next)).then(|| next.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[test]
    fn page_number_rules() {
        assert_eq!(next_page_number(1, 10, 10, Some(false), Some(100)), None);
        assert_eq!(next_page_number(1, 10, 3, Some(true), None), Some(2));
        assert_eq!(next_page_number(2, 10, 10, None, Some(25)), Some(3));
        assert_eq!(next_page_number(3, 10, 5, None, Some(25)), None);
        assert_eq!(next_page_number(1, 10, 10, None, None), Some(2));
        assert_eq!(next_page_number(1, 10, 9, None, None), None);
        assert_eq!(next_page_number(1, 10, 0, Some(true), None), None);
    }

    #[test]
    fn token_rules() {
        assert_eq!(next_token(None, "t2", true, 5), Some("t2".into()));
        assert_eq!(next_token(Some("t2"), "t2", true, 5), None);
        assert_eq!(next_token(None, "", true, 5), None);
        assert_eq!(next_token(None, "t2", false, 5), None);
    }

    #[tokio::test]
    async fn pages_are_fetched_lazily_and_flattened() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let seen = calls.clone();
        let pages = paginate(1u32, move |page| {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move {
                let items: Vec<u32> = (0..2).map(|i| page * 10 + i).collect();
                let next = next_page_number(page, 2, items.len(), Some(page < 3), None);
                Ok((Page::new(items, page < 3, None), next))
            }
        });
        let mut items = pages.items();
        assert_eq!(items.next().await.unwrap().unwrap(), 10);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        let rest: Vec<u32> = items.map(|r| r.unwrap()).collect().await;
        assert_eq!(rest, [11, 20, 21, 30, 31]);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn stream_ends_after_an_error() {
        let pages = paginate(1u32, |page| async move {
            if page == 2 {
                return Err(crate::Error::InvalidRequest("boom".into()));
            }
            Ok((Page::new(vec![page], true, None), Some(page + 1)))
        });
        let got: Vec<_> = pages.collect().await;
        assert_eq!(got.len(), 2);
        assert!(got[1].is_err());
    }
}
