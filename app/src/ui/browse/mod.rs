//! The library's browse view: URL state (`query`), the model cards
//! (`cards`) and the filter sidebar with facet counts (`facets`).

pub mod cards;
pub mod facets;
pub mod query;
