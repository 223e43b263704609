//! Where results go, through the binary: a checklist filled in place through a symbolic link,
//! and a `--save` or `--output` file that cannot be written.

use crate::harness::{pgvet, read_repo, repo, stderr};

#[test]
fn fill_in_place_writes_through_a_symlink_to_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("docs").join("CHECKLIST.md");
    std::fs::create_dir(target.parent().unwrap()).unwrap();
    let original = read_repo("fixtures/checklists/codetune_deployment.md");
    std::fs::write(&target, &original).unwrap();
    let link = dir.path().join("CHECKLIST.md");
    std::os::unix::fs::symlink("docs/CHECKLIST.md", &link).unwrap();
    let results = repo("fixtures/reports/after.json");
    let out = pgvet(
        &[
            "fill",
            link.to_str().unwrap(),
            "--results",
            results.to_str().unwrap(),
            "--in-place",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let meta = std::fs::symlink_metadata(&link).unwrap();
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("docs/CHECKLIST.md")
    );
    let filled = std::fs::read_to_string(&target).unwrap();
    assert_ne!(filled, original, "the link's target was not filled");
    assert!(
        filled.contains("| Avg query time (experiments) | 100ms | 20ms | ")
            && !filled.contains("| Avg query time (experiments) | 100ms | 20ms | ___ |"),
        "{filled}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 2, "no temporary file is left beside the link");
}
