//! The `pgview` command against a real database: what every subcommand shares (settings from
//! the environment, `.env` and `diesel.toml`, exit statuses, `-q`/`-v`/`--color`,
//! completions).

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use pgview_testkit::{only_migration, run_migrations, run_program_in, scratch};

const PGVIEW: &str = env!("CARGO_BIN_EXE_pgview");

/// Runs `pgview` in `dir` with the variables `env` (and none of the others it reads).
fn pgview_in(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    run_program_in(PGVIEW, Some(dir), env, args)
}

/// Runs `pgview` in a folder of its own (no `.env` or `diesel.toml` above it), with
/// `DATABASE_URL` set to `url` when given.
fn pgview(url: Option<&str>, args: &[&str]) -> (i32, String, String) {
    let dir = scratch("cwd");
    let env: Vec<(&str, &str)> = url.map(|url| ("DATABASE_URL", url)).into_iter().collect();
    pgview_in(&dir, &env, args)
}

/// A URL on which nothing listens: connecting is refused at once.
fn unreachable_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("postgres://postgres@127.0.0.1:{port}/nothing")
}

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn count_entries(dir: &Path) -> usize {
    fs::read_dir(dir).map_or(0, Iterator::count)
}

#[test]
fn graph_prints_dot_and_mermaid() {
    let db = pgview_testkit::fresh_database();
    let mut conn = PgConnection::establish(db.url()).unwrap();
    diesel::sql_query("CREATE VIEW cli_v AS SELECT id, name FROM users")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("CREATE MATERIALIZED VIEW cli_m AS SELECT count(*) AS n FROM cli_v")
        .execute(&mut conn)
        .unwrap();

    let (code, dot, err) = pgview(Some(db.url()), &["graph"]);
    assert_eq!(code, 0, "{err}");
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(
        dot.contains("cli_m") && dot.contains("cli_v") && dot.contains("users"),
        "{dot}"
    );

    let (code, mermaid, err) = pgview(
        Some(db.url()),
        &["graph", "--format", "mermaid", "--around", "cli_v"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(mermaid.starts_with("flowchart"), "{mermaid}");
    assert!(mermaid.contains("cli_m"), "{mermaid}");
}

#[test]
fn errors_are_one_line_with_a_failure_code() {
    let (code, _, err) = pgview(None, &["graph"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: no database"), "{err}");
    assert!(
        err.contains("DATABASE_URL") && err.contains(".env"),
        "{err}"
    );

    // Without derived views (the `pgview` binary), diff, generate and refresh need --dir or
    // names: a one-line error before connecting.
    for (args, expected) in [
        (&["diff"][..], "pass --dir DIR"),
        (&["generate"][..], "pass --dir DIR"),
        (&["refresh"][..], "or pass --all"),
    ] {
        let (code, _, err) = pgview(None, args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }

    let db = pgview_testkit::fresh_database();
    let (code, _, err) = pgview(Some(db.url()), &["graph", "--around", "no_such_view"]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no_such_view"), "{err}");
}

/// `--schema` naming a schema that does not exist is an error naming it (as `--around` of a
/// relation that does not exist), for `graph` and `print-schema`; an existing schema without
/// views is an empty graph.
#[test]
fn a_schema_that_does_not_exist_is_an_error() {
    let db = pgview_testkit::fresh_database();
    for command in ["graph", "print-schema"] {
        let (code, out, err) = pgview(Some(db.url()), &[command, "--schema", "nope"]);
        assert_eq!(code, 2, "{command}: {out}{err}");
        assert_eq!(err, "error: schema nope not found\n", "{command}");
        assert_eq!(out, "", "{command}");
    }
    // `diff` and `generate` too.
    let views = scratch("schema-nope");
    write(&views.join("v.sql"), "SELECT 1 AS a\n");
    let dir = views.to_str().unwrap();
    for args in [
        &["diff", "--dir", dir, "--schema", "nope"][..],
        &[
            "generate",
            "--dir",
            dir,
            "--migration-dir",
            dir,
            "--schema",
            "nope",
        ],
    ] {
        let (code, out, err) = pgview(Some(db.url()), args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err, "error: schema nope not found\n", "{args:?}");
    }
    let mut conn = PgConnection::establish(db.url()).unwrap();
    conn.batch_execute("CREATE SCHEMA cli_empty").unwrap();
    let (code, out, err) = pgview(Some(db.url()), &["graph", "--schema", "cli_empty"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph"), "{out}");
}

/// `DATABASE_URL` comes from `--database-url`, else the environment, else the first `.env`
/// found from the current directory upwards (the environment wins over the file, as with
/// diesel); a `.env` that cannot be parsed is an error naming it.
#[test]
fn the_database_comes_from_the_flag_the_environment_or_a_dotenv_file() {
    let db = pgview_testkit::fresh_database();
    let bad = unreachable_url();
    let project = scratch("dotenv");
    let sub = project.join("a/b");
    fs::create_dir_all(&sub).unwrap();
    write(
        &project.join(".env"),
        &format!("# the test database\nDATABASE_URL={}\n", db.url()),
    );

    // Found two directories up.
    let (code, out, err) = pgview_in(&sub, &[], &["graph"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph"), "{out}");

    // The environment wins over the file; the flag over both.
    let (code, _, err) = pgview_in(&sub, &[("DATABASE_URL", &bad)], &["graph"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot connect to the database"), "{err}");
    let (code, _, err) = pgview_in(
        &sub,
        &[("DATABASE_URL", &bad)],
        &["graph", "--database-url", db.url()],
    );
    assert_eq!(code, 0, "{err}");
    write(&project.join(".env"), &format!("DATABASE_URL={bad}\n"));
    let (code, _, err) = pgview_in(&sub, &[("DATABASE_URL", db.url())], &["graph"]);
    assert_eq!(code, 0, "{err}");

    // A file that cannot be parsed.
    write(&project.join(".env"), "DATABASE_URL='unterminated\n");
    let (code, _, err) = pgview_in(&sub, &[("DATABASE_URL", db.url())], &["graph"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("cannot read {}", project.join(".env").display())),
        "{err}"
    );
}

/// The migrations directory: `--migration-dir` (or its alias `--migrations`), else
/// `MIGRATION_DIRECTORY`, else `[migrations_directory] dir` of `diesel.toml` (found upwards,
/// or named by `DIESEL_CONFIG_FILE`; relative to the file), else a `migrations` directory
/// found upwards. A missing directory is an error unless `--create`.
#[test]
fn the_migrations_directory_comes_from_the_flag_or_diesel_toml() {
    let db = pgview_testkit::fresh_database();
    let url = [("DATABASE_URL", db.url())];
    let project = scratch("diesel-toml");
    let views = project.join("views");
    write(&views.join("cli_cfg.sql"), "SELECT id FROM users\n");
    let views = views.to_str().unwrap();
    let sub = project.join("src/deep");
    fs::create_dir_all(&sub).unwrap();
    // A `migrations` directory that diesel.toml overrides.
    fs::create_dir_all(project.join("migrations")).unwrap();
    let configured = project.join("db/migrations");
    fs::create_dir_all(&configured).unwrap();
    write(
        &project.join("diesel.toml"),
        "[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"db/migrations\"\n",
    );
    let generate = |env: &[(&str, &str)], more: &[&str]| {
        let mut args = vec!["generate", "--dir", views];
        args.extend_from_slice(more);
        pgview_in(&sub, env, &args)
    };

    let (code, out, err) = generate(&url, &[]);
    assert_eq!(code, 0, "{out}{err}");
    let written = only_migration(&configured);
    assert!(out.contains(&written.display().to_string()), "{out}");
    assert_eq!(count_entries(&project.join("migrations")), 0);

    // The flag, and its alias, win over diesel.toml.
    for flag in ["--migration-dir", "--migrations"] {
        let dir = project.join(format!("given{flag}"));
        fs::create_dir_all(&dir).unwrap();
        let (code, out, err) = generate(&url, &[flag, dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{flag}: {out}{err}");
        only_migration(&dir);
    }

    // MIGRATION_DIRECTORY wins over diesel.toml; DIESEL_CONFIG_FILE names another file,
    // whose `dir` is relative to it.
    let variable = project.join("from-variable");
    fs::create_dir_all(&variable).unwrap();
    let env = [url[0], ("MIGRATION_DIRECTORY", variable.to_str().unwrap())];
    let (code, out, err) = generate(&env, &[]);
    assert_eq!(code, 0, "{out}{err}");
    only_migration(&variable);
    let other = project.join("other/diesel.toml");
    write(&other, "[migrations_directory]\ndir = \"m\"\n");
    fs::create_dir_all(project.join("other/m")).unwrap();
    let env = [url[0], ("DIESEL_CONFIG_FILE", other.to_str().unwrap())];
    let (code, out, err) = generate(&env, &[]);
    assert_eq!(code, 0, "{out}{err}");
    only_migration(&project.join("other/m"));
    let env = [url[0], ("DIESEL_CONFIG_FILE", "/no/such/diesel.toml")];
    let (code, _, err) = generate(&env, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/no/such/diesel.toml"), "{err}");

    // Without diesel.toml, the `migrations` directory found upwards.
    fs::remove_file(project.join("diesel.toml")).unwrap();
    let (code, out, err) = generate(&url, &[]);
    assert_eq!(code, 0, "{out}{err}");
    only_migration(&project.join("migrations"));

    // A missing directory is not created silently.
    let missing = project.join("typo/migrations");
    let missing_arg = missing.to_str().unwrap();
    let (code, out, err) = generate(&url, &["--migration-dir", missing_arg]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "{missing_arg} (from --migration-dir) does not exist"
        )) && err.contains("--create"),
        "{err}"
    );
    assert!(!project.join("typo").exists());
    let file = project.join("views/cli_cfg.sql");
    let (code, _, err) = generate(
        &url,
        &["--migration-dir", file.to_str().unwrap(), "--create"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not a directory"), "{err}");
    let (code, out, err) = generate(&url, &["--migration-dir", missing_arg, "--create"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("note: created the migrations directory"),
        "{err}"
    );
    only_migration(&missing);
}

/// `generate` refuses (exit status 3, naming them, nothing written) while the directory holds
/// migrations the database has not applied, so that running it twice does not write the
/// same migration twice; once they are applied (as diesel records them), it goes on. Without
/// diesel's table every migration is pending.
#[test]
fn generate_refuses_while_migrations_are_pending() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let views = scratch("pending-views");
    write(&views.join("cli_pending.sql"), "SELECT id FROM users\n");
    let migrations = scratch("pending-migrations");
    let args = [
        "generate",
        "--dir",
        views.to_str().unwrap(),
        "--migration-dir",
        migrations.to_str().unwrap(),
        "--name",
        "first",
    ];

    let (code, out, err) = pgview(url, &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(1 step up, 1 down)"), "{out}");
    let first = only_migration(&migrations);
    let first_name = first.file_name().unwrap().to_str().unwrap().to_owned();

    let (code, out, err) = pgview(url, &args);
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: the database is not up to date: 1 migration of"),
        "{err}"
    );
    assert!(
        err.contains(&format!("is not applied: {first_name};")),
        "{err}"
    );
    assert!(err.contains("diesel migration run"), "{err}");
    assert_eq!(count_entries(&migrations), 1, "nothing written");

    // Applied as diesel applies it: nothing pending, nothing differs.
    assert_eq!(run_migrations(conn, &migrations).len(), 1);
    let (code, out, err) = pgview(url, &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no differences"), "{out}");

    // A hidden folder and a folder without up.sql are not migrations; without diesel's
    // table, every migration is pending.
    fs::create_dir_all(migrations.join(".git")).unwrap();
    fs::create_dir_all(migrations.join("notes")).unwrap();
    conn.batch_execute("DROP TABLE __diesel_schema_migrations")
        .unwrap();
    let (code, _, err) = pgview(url, &args);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(&format!("is not applied: {first_name};")),
        "{err}"
    );
    assert!(!err.contains(".git") && !err.contains("notes"), "{err}");
}

/// Exit statuses: 0 success, 1 differences, 2 usage, configuration or connection errors, 3
/// refusals; documented in `--help`. An unreachable database fails at once with the server's
/// (libpq's) error, for every subcommand.
#[test]
fn exit_statuses_are_distinct_and_documented() {
    let (code, out, _) = pgview(None, &["--help"]);
    assert_eq!(code, 0);
    for expected in [
        "Exit status:\n",
        "  0  success",
        "  1  diff: the database differs",
        "  2  usage, configuration or connection error",
        "  3  refused",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
    let (code, _, err) = pgview(None, &["diff", "--no-such-flag"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = pgview(None, &["-q", "-v", "graph"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");

    let bad = unreachable_url();
    let views = scratch("exit-views");
    write(&views.join("v.sql"), "SELECT 1 AS a\n");
    let dir = views.to_str().unwrap();
    for args in [
        &["graph"][..],
        &["diff", "--dir", dir],
        &["generate", "--dir", dir, "--migration-dir", dir],
        &["refresh", "--all"],
        &["refresh", "--all", "--dry-run"],
        &["print-schema"],
    ] {
        let started = Instant::now();
        let (code, out, err) = pgview(Some(&bad), args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("error: cannot connect to the database: ") && err.contains("refused"),
            "{args:?}: {err}"
        );
        assert!(!err.contains("Timed out"), "{args:?}: {err}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?}: {:?}",
            started.elapsed()
        );
    }
}

/// Durations take a unit; a bare number is refused with a message suggesting one.
#[test]
fn durations_need_a_unit() {
    for flag in ["--lock-timeout", "--statement-timeout"] {
        let (code, _, err) = pgview(None, &["refresh", "--all", flag, "5"]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("`5` has no unit: write 5s for seconds or 5ms for milliseconds"),
            "{err}"
        );
    }
    let (code, _, err) = pgview(None, &["refresh", "--all", "--lock-timeout", "5 parsecs"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("5 parsecs"), "{err}");
}

/// `--color`: `auto` colours only a terminal (never a pipe) and honours `NO_COLOR`; `always`
/// colours a pipe too (the diff's signs, the `error:` prefix); `never` never does.
#[test]
fn color_follows_the_flag_and_no_color() {
    let db = pgview_testkit::fresh_database();
    let views = scratch("color-views");
    write(&views.join("cli_color.sql"), "SELECT 1 AS a\n");
    let dir = views.to_str().unwrap();
    let cwd = scratch("color-cwd");
    let url = ("DATABASE_URL", db.url());
    let run = |env: &[(&str, &str)], more: &[&str]| {
        let mut args = vec!["diff", "--dir", dir];
        args.extend_from_slice(more);
        pgview_in(&cwd, env, &args)
    };

    let (code, plain, _) = run(&[url], &[]);
    assert_eq!(code, 1, "{plain}");
    assert!(
        plain.contains("+ view public.cli_color: created"),
        "{plain}"
    );
    assert!(!plain.contains('\u{1b}'), "{plain:?}");
    let (_, colored, _) = run(&[url], &["--color", "always"]);
    assert!(
        colored.contains("\u{1b}[32m+ view public.cli_color: created\u{1b}[0m"),
        "{colored:?}"
    );
    let (_, colored, _) = run(&[url, ("NO_COLOR", "1")], &["--color=always"]);
    assert!(
        colored.contains('\u{1b}'),
        "--color always wins: {colored:?}"
    );
    for (env, more) in [
        (&[url, ("NO_COLOR", "1")][..], &[][..]),
        (&[url, ("NO_COLOR", "1")][..], &["--color", "auto"][..]),
        (&[url][..], &["--color", "never"][..]),
    ] {
        let (_, out, _) = run(env, more);
        assert_eq!(out, plain, "{more:?}");
    }

    let (code, _, err) = pgview_in(&cwd, &[], &["graph", "--color", "always"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("\u{1b}["), "{err:?}");
    assert!(err.contains("error:\u{1b}[0m no database"), "{err:?}");
    let (_, _, err) = pgview_in(&cwd, &[], &["graph", "--color", "never"]);
    assert!(err.starts_with("error: no database"), "{err:?}");
    let (code, _, err) = pgview_in(&cwd, &[], &["graph", "--color", "sometimes"]);
    assert_eq!(code, 2, "{err}");
}

/// `-v` logs each SQL statement sent on standard error; `-q` leaves out the notes, the
/// refresh table and the progress bar, but keeps errors and what the command is for.
#[test]
fn verbose_shows_the_sql_and_quiet_only_the_result() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let mut conn = PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE SCHEMA cli_q;
         CREATE VIEW cli_q.theirs AS SELECT id FROM public.users;
         CREATE MATERIALIZED VIEW cli_q_m AS SELECT count(*) AS n FROM users;",
    )
    .unwrap();

    let (code, out, err) = pgview(url, &["graph", "-v"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph"), "{out}");
    assert!(err.contains(" sql: ") && err.contains("pg_depend"), "{err}");
    let (_, _, err) = pgview(url, &["graph"]);
    assert_eq!(err, "");

    let views = scratch("quiet-views");
    write(
        &views.join("cli_q.mine.sql"),
        "SELECT id FROM public.users\n",
    );
    let migrations = scratch("quiet-migrations");
    let generate = |more: &[&str]| {
        let mut args = vec![
            "generate",
            "--dir",
            views.to_str().unwrap(),
            "--migration-dir",
            migrations.to_str().unwrap(),
        ];
        args.extend_from_slice(more);
        pgview(url, &args)
    };
    let (code, out, err) = generate(&["-q"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("wrote "), "{out}");
    assert_eq!(err, "", "no note: the unmanaged view left alone");
    run_migrations(&mut conn, &migrations);
    let (code, out, err) = generate(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "no differences: no migration written\n");
    assert!(err.contains("note: left alone: view cli_q.theirs"), "{err}");
    let (code, out, err) = generate(&["--quiet"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));

    // The refresh's table is a report: left out; the plan of --dry-run is what is asked.
    let (code, out, err) = pgview(url, &["refresh", "cli_q_m", "-q"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, err) = pgview(url, &["refresh", "cli_q_m", "-q", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("public.cli_q_m") && out.ends_with("1 view\n"),
        "{out}"
    );
    let (code, out, err) = pgview(url, &["refresh", "cli_q_m"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 view in "), "{out}");
}

/// `pgview completions <shell>` prints the shell's completion script for the `pgview`
/// command, without needing a database or settings.
#[test]
fn completions_name_the_program() {
    let (code, out, err) = pgview(None, &["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("_pgview()") && out.contains("refresh"),
        "{out}"
    );
    let (code, out, _) = pgview(None, &["completions", "zsh"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("#compdef pgview"), "{out}");
    let (code, out, _) = pgview(None, &["completions", "fish"]);
    assert_eq!(code, 0);
    assert!(out.contains("complete -c pgview"), "{out}");
    let (code, _, err) = pgview(None, &["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");

    // A broken .env does not stop them.
    let dir = scratch("completions");
    write(&dir.join(".env"), "DATABASE_URL='unterminated\n");
    let (code, _, err) = pgview_in(&dir, &[], &["completions", "bash"]);
    assert_eq!(code, 0, "{err}");
}
