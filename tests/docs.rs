//! The README's configuration table is the code's list of settings, so neither drifts.

use kroki_web::config::SETTINGS;

#[test]
fn readme_documents_every_setting_with_its_default() {
    let readme = include_str!("../README.md");
    for setting in SETTINGS {
        let row = format!(
            "| `{}` | `{}` | {} |",
            setting.variable, setting.default, setting.meaning
        );
        assert!(readme.contains(&row), "README.md lacks the row:\n{row}");
    }
    let rows = readme
        .lines()
        .filter(|line| line.starts_with("| `") && line.split('|').count() == 5)
        .filter(|line| line[3..].starts_with(|c: char| c.is_ascii_uppercase()))
        .count();
    assert_eq!(
        rows,
        SETTINGS.len(),
        "README.md documents a setting the code does not read"
    );
}
