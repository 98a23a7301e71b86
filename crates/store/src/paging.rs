//! Pagination with a hard cap, so no request can ask for the whole table.

use serde::Serialize;

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 100;
/// The deepest page: past it a refined query serves better than paging.
pub const MAX_PAGE: u32 = 100_000;

/// A validated page request: page ≥ 1, 1 ≤ per_page ≤ [`MAX_PER_PAGE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    per_page: u32,
}

impl PageRequest {
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Result<Self, (&'static str, String)> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page == 0 {
            return Err(("page", "must be at least 1".into()));
        }
        if page > MAX_PAGE {
            return Err(("page", format!("must be at most {MAX_PAGE}")));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(("per_page", format!("must be between 1 and {MAX_PER_PAGE}")));
        }
        Ok(Self { page, per_page })
    }

    pub fn page(&self) -> u32 {
        self.page
    }

    pub fn per_page(&self) -> u32 {
        self.per_page
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

/// One page of results with the total, so clients can render a pager.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, request: PageRequest, total: i64) -> Self {
        Self {
            items,
            page: request.page,
            per_page: request.per_page,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_offsets() {
        let request = PageRequest::new(Some(3), Some(10)).unwrap();
        assert_eq!((request.limit(), request.offset()), (10, 20));
        assert_eq!(PageRequest::new(Some(0), None).unwrap_err().0, "page");
        assert_eq!(PageRequest::new(None, Some(101)).unwrap_err().0, "per_page");
        assert_eq!(
            PageRequest::new(None, None).unwrap(),
            PageRequest::default()
        );
    }
}
