//! Services: the rules and transactions. They take a context and the caller,
//! never axum or Leptos types, and return domain results or `ServiceError`.

pub mod system;
