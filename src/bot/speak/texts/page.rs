//! TEMPORARY stand-in until the page's words are merged.
pub const EN: &[(&str, &str)] = &[("create", "Create")];
pub const RU: &[(&str, &str)] = &[("create", "Создать")];
pub fn json() -> String {
    let table = |t: &[(&str, &str)]| {
        t.iter()
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
            .collect::<serde_json::Map<_, _>>()
    };
    serde_json::json!({"en": table(EN), "ru": table(RU)}).to_string()
}
