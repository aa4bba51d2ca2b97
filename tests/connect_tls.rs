//! Connecting as libpq does, against a real server: TLS in every
//! `sslmode`, certificate checks with a throwaway CA, a `hostssl`-only
//! role, a client certificate, and `connect_timeout` against a peer that
//! accepts and never answers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test or bench fails by panicking"
)]

use std::fs;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use hostlife::db::cluster::{Cluster, ServerSetup};
use hostlife::db::connect::{self, ConnectError, Resolved};

/// A certificate authority and what it signed, in a directory of its own.
struct Pki {
    dir: tempfile::TempDir,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Pki {
    fn new() -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        let d = pki.dir.path();
        for ca in ["ca", "otherca"] {
            openssl(
                d,
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    &format!("{ca}.key"),
                    "-out",
                    &format!("{ca}.crt"),
                    "-days",
                    "2",
                    "-subj",
                    &format!("/CN=hostlife test {ca}"),
                ],
            );
        }
        pki.sign("server", "localhost", "subjectAltName=DNS:localhost");
        pki.sign("client", "certuser", "extendedKeyUsage=clientAuth");
        pki
    }

    fn sign(&self, name: &str, cn: &str, ext: &str) {
        let d = self.dir.path();
        fs::write(d.join(format!("{name}.ext")), ext).unwrap();
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={cn}"),
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                &format!("{name}.csr"),
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                &format!("{name}.crt"),
                "-days",
                "2",
                "-extfile",
                &format!("{name}.ext"),
            ],
        );
        fs::set_permissions(
            d.join(format!("{name}.key")),
            fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.path(name)).unwrap()
    }
}

struct Server {
    pki: Pki,
    port: u16,
    cluster: Cluster,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One TLS server for the whole file: roles that may connect only over
/// TLS, only without it, or only with a client certificate.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let pki = Pki::new();
        let port = free_port();
        let setup = ServerSetup {
            settings: [
                ("listen_addresses", "127.0.0.1"),
                ("ssl", "on"),
                ("ssl_cert_file", "server.crt"),
                ("ssl_key_file", "server.key"),
                ("ssl_ca_file", "ca.crt"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            files: vec![
                ("server.crt".into(), pki.read("server.crt"), 0o644),
                ("server.key".into(), pki.read("server.key"), 0o600),
                ("ca.crt".into(), pki.read("ca.crt"), 0o644),
            ],
            hba: Some(
                "local all all trust\n\
                 hostssl all certuser 127.0.0.1/32 cert\n\
                 hostnossl all certuser 127.0.0.1/32 reject\n\
                 hostssl all sslonly 127.0.0.1/32 trust\n\
                 hostnossl all sslonly 127.0.0.1/32 reject\n\
                 hostnossl all plainonly 127.0.0.1/32 trust\n\
                 hostssl all plainonly 127.0.0.1/32 reject\n\
                 host all all 127.0.0.1/32 trust\n"
                    .into(),
            ),
            port: Some(port),
        };
        let cluster = Cluster::start_with(&setup).expect("start the TLS server");
        cluster
            .connect("postgres")
            .unwrap()
            .batch_execute(
                "CREATE ROLE sslonly LOGIN; CREATE ROLE plainonly LOGIN; \
                 CREATE ROLE certuser LOGIN; CREATE ROLE anyone LOGIN",
            )
            .unwrap();
        Server { pki, port, cluster }
    })
}

/// Resolves `conninfo` on a machine with no PG* variables and `home` as
/// the home directory.
fn resolve_in(home: &Path, conninfo: &str) -> Result<Resolved, ConnectError> {
    connect::resolve(Some(conninfo), &|_| None, Some(home))
}

/// Whether the session is encrypted, or why it could not be made.
fn session(home: &Path, conninfo: &str) -> Result<bool, String> {
    let resolved = resolve_in(home, conninfo).map_err(|e| e.to_string())?;
    let mut client = connect::connect(&resolved).map_err(|e| e.to_string())?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap();
    Ok(row.get(0))
}

fn base(user: &str, host: &str) -> String {
    format!(
        "host={host} port={} user={user} dbname=postgres",
        server().port
    )
}

fn empty_home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn prefer_is_the_default_and_encrypts() {
    let home = empty_home();
    assert_eq!(session(home.path(), &base("anyone", "localhost")), Ok(true));
    assert_eq!(
        session(home.path(), &base("sslonly", "localhost")),
        Ok(true)
    );
}

#[test]
fn disable_connects_in_plaintext_and_a_hostssl_role_is_refused() {
    let home = empty_home();
    let plain = format!("{} sslmode=disable", base("anyone", "localhost"));
    assert_eq!(session(home.path(), &plain), Ok(false));
    let e = session(
        home.path(),
        &format!("{} sslmode=disable", base("sslonly", "localhost")),
    )
    .unwrap_err();
    assert!(e.contains("no encryption"), "{e}");
}

#[test]
fn allow_tries_plaintext_first_then_tls() {
    let home = empty_home();
    let allow = |user| format!("{} sslmode=allow", base(user, "localhost"));
    assert_eq!(session(home.path(), &allow("plainonly")), Ok(false));
    assert_eq!(session(home.path(), &allow("sslonly")), Ok(true));
}

#[test]
fn require_encrypts_or_fails() {
    let home = empty_home();
    let require = |user| format!("{} sslmode=require", base(user, "localhost"));
    assert_eq!(session(home.path(), &require("sslonly")), Ok(true));
    let e = session(home.path(), &require("plainonly")).unwrap_err();
    assert!(e.contains("plainonly"), "{e}");
}

#[test]
fn verify_ca_and_verify_full_check_the_certificate() {
    let home = empty_home();
    let s = server();
    let ca = s.pki.path("ca.crt");
    let other = s.pki.path("otherca.crt");
    let with = |mode: &str, host: &str, root: &Path| {
        format!(
            "{} sslmode={mode} sslrootcert={}",
            base("sslonly", host),
            root.display()
        )
    };
    assert_eq!(
        session(home.path(), &with("verify-ca", "127.0.0.1", &ca)),
        Ok(true)
    );
    assert_eq!(
        session(home.path(), &with("verify-full", "localhost", &ca)),
        Ok(true)
    );
    // The certificate names localhost, not the address.
    let e = session(home.path(), &with("verify-full", "127.0.0.1", &ca)).unwrap_err();
    assert!(e.contains("certificate verify failed"), "{e}");
    let e = session(home.path(), &with("verify-ca", "localhost", &other)).unwrap_err();
    assert!(e.contains("certificate verify failed"), "{e}");
}

#[test]
fn verifying_without_a_root_certificate_is_refused_before_sending_anything() {
    let home = empty_home();
    let e = session(
        home.path(),
        &format!("{} sslmode=verify-full", base("sslonly", "localhost")),
    )
    .unwrap_err();
    assert!(
        e.contains("root certificate file") && e.contains(".postgresql/root.crt"),
        "{e}"
    );
}

#[test]
fn a_root_certificate_in_dot_postgresql_is_used_under_require() {
    let s = server();
    let home = empty_home();
    let dot = home.path().join(".postgresql");
    fs::create_dir(&dot).unwrap();
    // A root certificate that did not sign the server's: libpq checks
    // against it even under require, so must we.
    fs::write(dot.join("root.crt"), s.pki.read("otherca.crt")).unwrap();
    let require = format!("{} sslmode=require", base("sslonly", "localhost"));
    let e = session(home.path(), &require).unwrap_err();
    assert!(e.contains("certificate verify failed"), "{e}");
    fs::write(dot.join("root.crt"), s.pki.read("ca.crt")).unwrap();
    assert_eq!(session(home.path(), &require), Ok(true));
}

#[test]
fn a_client_certificate_logs_in_a_cert_role() {
    let s = server();
    let home = empty_home();
    let user = base("certuser", "localhost");
    let e = session(home.path(), &format!("{user} sslmode=require")).unwrap_err();
    assert!(e.contains("certuser"), "{e}");
    let with_cert = format!(
        "{user} sslmode=verify-full sslrootcert={} sslcert={} sslkey={}",
        s.pki.path("ca.crt").display(),
        s.pki.path("client.crt").display(),
        s.pki.path("client.key").display()
    );
    assert_eq!(session(home.path(), &with_cert), Ok(true));

    // The same files found under ~/.postgresql by default.
    let dot = home.path().join(".postgresql");
    fs::create_dir(&dot).unwrap();
    fs::write(dot.join("root.crt"), s.pki.read("ca.crt")).unwrap();
    fs::write(dot.join("postgresql.crt"), s.pki.read("client.crt")).unwrap();
    let key = dot.join("postgresql.key");
    fs::write(&key, s.pki.read("client.key")).unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        session(home.path(), &format!("{user} sslmode=verify-full")),
        Ok(true)
    );

    // A key others can read is refused, as libpq refuses it.
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let e = session(home.path(), &format!("{user} sslmode=verify-full")).unwrap_err();
    assert!(e.contains("group or world access"), "{e}");
}

#[test]
fn tls_is_never_tried_over_a_local_socket() {
    // The server answers a TLS request on a socket with "no": under
    // require that would fail, but libpq never asks there, nor do we.
    let home = empty_home();
    let cluster = Cluster::start().unwrap();
    let conninfo = format!(
        "host={} port={} user=postgres dbname=postgres sslmode=require",
        cluster.dir().display(),
        cluster.port()
    );
    assert_eq!(session(home.path(), &conninfo), Ok(false));
}

/// Accepts connections and never says a word.
fn silent_peer() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[test]
fn connect_timeout_bounds_a_server_that_never_answers() {
    let (_listener, port) = silent_peer();
    let home = empty_home();
    let conninfo = format!("host=127.0.0.1 port={port} user=u dbname=d connect_timeout=2");
    let resolved = resolve_in(home.path(), &conninfo).unwrap();
    for pipelined in [false, true] {
        let started = Instant::now();
        let e = if pipelined {
            connect::connect_pipelined(&resolved)
                .err()
                .unwrap()
                .to_string()
        } else {
            connect::connect(&resolved).err().unwrap().to_string()
        };
        let took = started.elapsed();
        assert!(e.contains("timeout expired"), "{e}");
        // It waited for the deadline, and gave up at it rather than never.
        assert!(took >= Duration::from_secs(2), "{took:?}");
        assert!(took < Duration::from_secs(20), "{took:?}");
    }
}

#[test]
fn a_silent_first_host_times_out_and_the_next_one_is_used() {
    let (_listener, silent) = silent_peer();
    let home = empty_home();
    let conninfo = format!(
        "host=127.0.0.1,localhost port={silent},{} user=anyone dbname=postgres connect_timeout=2",
        server().port
    );
    assert_eq!(session(home.path(), &conninfo), Ok(true));
}

#[test]
fn target_session_attrs_passes_over_a_server_of_the_wrong_kind() {
    let home = empty_home();
    let conninfo = format!(
        "{} target_session_attrs=read-only",
        base("anyone", "localhost")
    );
    let e = session(home.path(), &conninfo).unwrap_err();
    assert!(e.contains("database is not read only"), "{e}");
    let read_only = format!("{conninfo} options='-c default_transaction_read_only=on'");
    assert_eq!(session(home.path(), &read_only), Ok(true));
}

/// `hostlife` as an operator runs it: on `conninfo`, with `home` as the
/// home directory and none of libpq's variables set.
fn hostlife_in(home: &Path, conninfo: &str, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_hostlife"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PG") {
            command.env_remove(name);
        }
    }
    command
        .args(args)
        .env("HOSTLIFE_DB", conninfo)
        .env("HOME", home)
        .output()
        .expect("run hostlife")
}

/// A database `dbname` that the `hostssl`-only role owns, filled by
/// `hostlife db init` and `db seed` as that role (conninfo `options`
/// added): every connection they open (setup, load, each recording
/// thread) must be encrypted to get in. Returns the home directory they
/// ran in and the conninfo.
fn seeded_over_tls(dbname: &str, options: &str) -> (tempfile::TempDir, String) {
    server()
        .cluster
        .connect("postgres")
        .unwrap()
        .batch_execute(&format!("CREATE DATABASE {dbname} OWNER sslonly"))
        .unwrap();
    let home = empty_home();
    let conninfo = format!(
        "host=localhost port={} user=sslonly dbname={dbname} {options}",
        server().port
    );
    for args in [
        &["db", "init"][..],
        &["db", "seed", "--flights", "4", "--hosts", "6"][..],
    ] {
        let out = hostlife_in(home.path(), &conninfo, args);
        assert!(
            out.status.success(),
            "hostlife {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (home, conninfo)
}

#[test]
fn db_seed_connects_over_tls_as_every_command_does() {
    let (home, conninfo) = seeded_over_tls("seedtls", "");
    let mut client = connect::connect(&resolve_in(home.path(), &conninfo).unwrap()).unwrap();
    let rows: i64 = client
        .query_one("SELECT count(*) FROM host_lifecycle", &[])
        .unwrap()
        .get(0);
    assert!(rows > 0, "the seed wrote no lifecycle rows");
}

/// Over TLS, with a `hostssl`-only role, a newer read for the same view
/// still cancels the older one stuck behind a lock: the cancel is asked
/// for through the connection's own settings, TLS included. Only the
/// newer read is answered.
#[test]
fn over_tls_a_newer_read_cancels_the_older() {
    use hostlife::db::worker::{Event, Reply, Request, Worker};
    use std::sync::mpsc;
    let cluster = &server().cluster;
    let (home, conninfo) = seeded_over_tls("canceltls", "sslmode=require");
    let mut admin = cluster.connect("canceltls").unwrap();
    let hosts: Vec<String> = admin
        .query(
            "SELECT DISTINCT hostname FROM host_lifecycle ORDER BY 1 LIMIT 2",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (tx, rx) = mpsc::channel();
    let worker = Worker::spawn_resolved(resolve_in(home.path(), &conninfo).unwrap(), move |e| {
        tx.send(e).is_ok()
    })
    .unwrap();
    let answer = || loop {
        if let Event::Answer(a) = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("an answer in time")
        {
            return *a;
        }
    };
    let mut hold = cluster.connect("canceltls").unwrap();
    hold.batch_execute("BEGIN; LOCK TABLE hostflags IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let show = |host: &str| Request::Show { host: host.into() };
    assert!(worker.send(1, show(&hosts[0])));
    let deadline = Instant::now() + Duration::from_secs(20);
    while admin
        .query_one(
            "SELECT count(*) FROM pg_stat_activity
              WHERE wait_event_type = 'Lock' AND usename = 'sslonly'",
            &[],
        )
        .unwrap()
        .get::<_, i64>(0)
        == 0
    {
        assert!(
            Instant::now() < deadline,
            "the read never waited for the lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(worker.send(2, show(&hosts[1])));
    std::thread::sleep(Duration::from_millis(300));
    hold.batch_execute("COMMIT").unwrap();
    let a = answer();
    assert_eq!(a.id, 2, "the older read was not cancelled: {:?}", a.reply);
    assert!(
        matches!(&a.reply, Reply::Host { host, result: Ok(_) } if *host == hosts[1]),
        "{:?}",
        a.reply
    );
}
