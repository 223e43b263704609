//! Connection strings for a throwaway server, in both libpq forms: `key=value` conninfo
//! and `postgresql://` URL. The superuser and database are always `postgres`.

/// `host=… port=… user=postgres dbname=postgres`, values quoted where libpq needs it.
pub(crate) fn conninfo(host: &str, port: u16) -> String {
    format!(
        "host={} port={port} user=postgres dbname=postgres",
        quote_value(host)
    )
}

/// `postgresql://postgres@…/postgres`; a socket directory goes in the `host` parameter.
pub(crate) fn url(host: &str, port: u16) -> String {
    if host.starts_with('/') {
        format!(
            "postgresql://postgres@/postgres?host={}&port={port}",
            crate::db::conninfo::percent_encode(host)
        )
    } else {
        format!("postgresql://postgres@{host}:{port}/postgres")
    }
}

/// Quotes a conninfo value when it is empty or holds spaces, quotes or backslashes.
fn quote_value(value: &str) -> String {
    let plain = !value.is_empty() && !value.contains([' ', '\t', '\n', '\'', '\\']);
    if plain {
        return value.to_string();
    }
    let escaped = value.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_conninfo_and_url() {
        assert_eq!(
            conninfo("/tmp/pgvet-1/sock", 5432),
            "host=/tmp/pgvet-1/sock port=5432 user=postgres dbname=postgres"
        );
        assert_eq!(
            url("/tmp/pgvet-1/sock", 5432),
            "postgresql://postgres@/postgres?host=%2Ftmp%2Fpgvet-1%2Fsock&port=5432"
        );
    }

    #[test]
    fn tcp_conninfo_and_url() {
        assert_eq!(
            conninfo("127.0.0.1", 40001),
            "host=127.0.0.1 port=40001 user=postgres dbname=postgres"
        );
        assert_eq!(
            url("127.0.0.1", 40001),
            "postgresql://postgres@127.0.0.1:40001/postgres"
        );
    }

    #[test]
    fn awkward_paths_are_quoted() {
        assert_eq!(
            conninfo("/tmp/my dir/it's", 1),
            r"host='/tmp/my dir/it\'s' port=1 user=postgres dbname=postgres"
        );
        assert_eq!(quote_value(""), "''");
    }
}
