//! Request shapes shared by forms, server functions and REST (both targets).

pub mod auth;
pub mod collections;
pub mod jobs;
pub mod models;
pub mod printers;
pub mod settings;
pub mod tags;

/// Distinguishes an absent field from an explicit `null` in a `Option<Option<T>>`
/// field; pair it with `skip_serializing_if = "Option::is_none"` so an absent
/// field stays absent on the way out too.
mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            None => s.serialize_none(),
            Some(inner) => inner.serialize(s),
        }
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}
