//! The browse state in the URL: which query keys exist, how they become
//! [`ListModelsParams`], and links that change one key (so every view can be
//! bookmarked and the back button walks through them).

use leptos_router::params::ParamsMap;

use crate::params::models::{ListModelsParams, ModelSort, SortOrder};
use crate::views::models::{FileKind, Outcome};

/// Every key the library understands, in the order links write them.
pub const KEYS: [&str; 10] = [
    "q",
    "starred",
    "collection",
    "tag",
    "kind",
    "outcome",
    "gcode",
    "sort",
    "view",
    "after",
];

/// Models per page.
pub const PAGE_SIZE: u32 = 48;

/// The sort choices: URL value and label.
pub const SORTS: [(&str, &str); 6] = [
    ("created", "Newest"),
    ("updated", "Recently changed"),
    ("name", "Name A–Z"),
    ("size", "Largest"),
    ("print_time", "Longest print"),
    ("print_time_asc", "Shortest print"),
];

fn sort_of(text: &str) -> (ModelSort, Option<SortOrder>) {
    match text {
        "updated" => (ModelSort::Updated, None),
        "name" => (ModelSort::Name, None),
        "size" => (ModelSort::Size, None),
        "print_time" => (ModelSort::PrintTime, Some(SortOrder::Desc)),
        "print_time_asc" => (ModelSort::PrintTime, Some(SortOrder::Asc)),
        _ => (ModelSort::Created, None),
    }
}

/// The service parameters the URL asks for.
pub fn params_from(query: &ParamsMap) -> ListModelsParams {
    let (sort, order) = sort_of(query.get("sort").as_deref().unwrap_or("created"));
    ListModelsParams {
        q: query.get("q").filter(|q| !q.trim().is_empty()),
        collection_id: query.get("collection").and_then(|v| v.parse().ok()),
        tags: query
            .get("tag")
            .and_then(|v| v.parse().ok())
            .into_iter()
            .collect(),
        kind: query.get("kind").and_then(|v| FileKind::parse(&v)),
        outcome: query.get("outcome").and_then(|v| Outcome::parse(&v)),
        has_gcode: query.get("gcode").and_then(|v| v.parse().ok()),
        starred: query.get("starred").as_deref() == Some("true"),
        sort,
        order,
        cursor: query.get("after"),
        limit: Some(PAGE_SIZE),
        ..Default::default()
    }
}

fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The library URL with `key` set to `value` (or removed), every other key
/// kept; changing a filter always starts again at the first page.
pub fn href_with(query: &ParamsMap, key: &str, value: Option<&str>) -> String {
    let pairs: Vec<String> = KEYS
        .iter()
        .filter(|k| **k != "after" || key == "after")
        .filter_map(|k| {
            let v = if *k == key {
                value.map(str::to_owned)
            } else {
                query.get(k)
            };
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(&v)))
        })
        .collect();
    if pairs.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{}", pairs.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> ParamsMap {
        let mut m = ParamsMap::new();
        for (k, v) in pairs {
            m.insert((*k).to_owned(), (*v).to_owned());
        }
        m
    }

    #[test]
    fn links_change_one_key_and_restart_paging() {
        let q = map(&[("q", "benchy boat"), ("tag", "3"), ("after", "xyz")]);
        assert_eq!(
            href_with(&q, "kind", Some("stl")),
            "/?q=benchy%20boat&tag=3&kind=stl"
        );
        assert_eq!(href_with(&q, "tag", None), "/?q=benchy%20boat");
        assert_eq!(
            href_with(&q, "after", Some("next")),
            "/?q=benchy%20boat&tag=3&after=next"
        );
        assert_eq!(href_with(&map(&[]), "q", Some("")), "/");
    }

    #[test]
    fn the_url_becomes_service_params() {
        let p = params_from(&map(&[
            ("q", "clip"),
            ("tag", "4"),
            ("gcode", "true"),
            ("starred", "true"),
            ("sort", "print_time_asc"),
        ]));
        assert!(p.starred);
        assert_eq!(p.q.as_deref(), Some("clip"));
        assert_eq!(p.tags, vec![4]);
        assert_eq!(p.has_gcode, Some(true));
        assert_eq!(
            (p.sort, p.order),
            (ModelSort::PrintTime, Some(SortOrder::Asc))
        );
        let none = params_from(&map(&[("tag", "x"), ("kind", "nope")]));
        assert!(none.tags.is_empty() && none.kind.is_none());
    }
}
