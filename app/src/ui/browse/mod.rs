//! The library's browse view: URL state (`query`), the model cards
//! (`cards`), the filter sidebar with facet counts (`facets`) and bulk
//! actions on selected models (`bulk`).

pub mod bulk;
pub mod cards;
pub mod facets;
pub mod query;
