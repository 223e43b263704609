//! How the rules write sizes, counts and lists in their messages.

/// A size on disk for people: "512 kB", "12 MiB", "3.4 GiB".
pub(crate) fn size(bytes: i64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes.max(0) as f64;
    if b < KIB * KIB {
        format!("{} kB", (b / KIB).round())
    } else if b < KIB * KIB * KIB {
        format!("{} MiB", significant(b / (KIB * KIB)))
    } else {
        format!("{} GiB", significant(b / (KIB * KIB * KIB)))
    }
}

/// Three significant figures or so, without trailing zeros: 12, 1.5, 340.
fn significant(v: f64) -> String {
    let text = if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    match text.contains('.') {
        true => text.trim_end_matches('0').trim_end_matches('.').to_string(),
        false => text,
    }
}

/// A whole number with thousands separators: 2,147,483,647.
pub(crate) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A count with its noun: "1 partition", "3 partitions".
pub(crate) fn counted(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_counts_and_numbers_read_as_a_dba_writes_them() {
        assert_eq!(super::size(8192), "8 kB");
        assert_eq!(super::size(12 * 1024 * 1024 + 300_000), "12.3 MiB");
        assert_eq!(super::size(3 * 1024 * 1024 * 1024), "3 GiB");
        assert_eq!(super::thousands(2_147_483_647), "2,147,483,647");
        assert_eq!(super::thousands(-32768), "-32,768");
        assert_eq!(super::thousands(999), "999");
        assert_eq!(super::counted(1, "partition", "partitions"), "1 partition");
    }
}
