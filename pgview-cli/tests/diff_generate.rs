//! `pgview diff` and `pgview generate` on a folder of `.sql` view definitions, against a real
//! database.

use std::fs;
use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use pgview_testkit::{only_migration, run_migrations, run_program, run_sql_file, scratch, Scratch};

/// Runs `pgview`: exit code, stdout, stderr.
fn pgview(url: Option<&str>, args: &[&str]) -> (i32, String, String) {
    run_program(env!("CARGO_BIN_EXE_pgview"), url, args)
}

fn write(dir: &Path, file: &str, text: &str) {
    fs::write(dir.join(file), text).unwrap();
}

#[test]
fn diff_then_generate_then_no_difference() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let views = scratch("views");
    let migrations = scratch("migrations");
    write(
        &views,
        "cli_active.sql",
        "-- pgview: security_barrier, comment=\"users with an e-mail\"\n\
         -- the query follows\n\
         SELECT id, name FROM users WHERE email IS NOT NULL -- no NULLs\n",
    );
    write(
        &views,
        "reporting.cli_revenue.sql",
        "-- pgview: materialized, unique_index(user_id), comment=\"revenue per user\"\n\
         SELECT user_id, sum(total) AS total FROM orders GROUP BY user_id\n",
    );
    write(&views, "README.md", "not a view");
    let dir = views.to_str().unwrap();

    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("cli_active") && out.contains("created"),
        "{out}"
    );
    assert!(out.contains("reporting.cli_revenue"), "{out}");

    let (code, out, err) = pgview(
        url,
        &[
            "generate",
            "--dir",
            dir,
            "--migrations",
            migrations.to_str().unwrap(),
            "--name",
            "add_cli_views",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("wrote "), "{out}");
    let folder = only_migration(&migrations);
    assert!(
        folder.to_str().unwrap().ends_with("_add_cli_views"),
        "{folder:?}"
    );
    // Applied as diesel applies it (recorded), so that `generate` finds nothing pending.
    let applied = run_migrations(conn, &migrations);
    assert_eq!(applied.len(), 1, "{applied:?}");

    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 unchanged"), "{out}");
    let (code, out, _) = pgview(
        url,
        &[
            "generate",
            "--dir",
            dir,
            "--migrations",
            migrations.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("no differences"), "{out}");
    assert_eq!(fs::read_dir(&*migrations).unwrap().count(), 1);

    // A changed query is a difference again; the migration's down goes back.
    write(
        &views,
        "cli_active.sql",
        "-- pgview: security_barrier, comment=\"users with an e-mail\"\n\
         SELECT id, name FROM users WHERE email IS NOT NULL AND id > 0\n",
    );
    let (code, out, _) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("~ view public.cli_active"), "{out}");
    run_sql_file(conn, &folder.join("down.sql"));
    let (code, out, _) = pgview(url, &["diff", "--dir", dir, "--declared-only"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("created"), "{out}");
}

/// `pgview diff` shows a changed query as a unified diff of the two definitions; `--stat` says
/// only `definition`. Both end with a newline.
#[test]
fn diff_shows_a_changed_definition_and_stat_does_not() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE VIEW cli_unified AS SELECT id, name FROM users WHERE email IS NOT NULL",
    )
    .unwrap();
    let views = scratch("unified");
    write(
        &views,
        "cli_unified.sql",
        "SELECT id, name FROM users WHERE email IS NOT NULL AND id > 0\n",
    );
    let dir = views.to_str().unwrap();

    let (code, out, err) = pgview(url, &["diff", "--dir", dir, "--declared-only"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("~ view public.cli_unified: changed\n"),
        "{out}"
    );
    assert!(
        out.contains(
            "    --- public.cli_unified (database)\n    +++ public.cli_unified (declared)\n    @@ "
        ),
        "{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    -") && l.contains("IS NOT NULL") && !l.contains("> 0")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("    +") && l.contains("> 0")),
        "{out}"
    );
    assert!(out.ends_with("0 unchanged\n"), "{out}");

    let (code, out, err) = pgview(url, &["diff", "--dir", dir, "--declared-only", "--stat"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        out,
        "~ view public.cli_unified: changed\n    definition\n0 unchanged\n"
    );
}

#[test]
fn errors_are_one_line_with_exit_status_2() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let views = scratch("bad");
    write(
        &views,
        "v.sql",
        "-- pgview: materialized\n-- pgview: refresh_every=5\nSELECT 1 AS id\n",
    );
    let dir = views.to_str().unwrap();
    for (args, expected) in [
        (
            vec!["diff", "--dir", dir],
            "v.sql:2: unknown option `refresh_every`",
        ),
        (
            vec!["generate", "--dir", dir, "--migrations", dir],
            "v.sql:2: unknown option",
        ),
        (vec!["diff", "--dir", "/no/such/folder"], "/no/such/folder"),
    ] {
        let (code, out, err) = pgview(url, &args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }

    // The server refuses a declared view.
    let broken = scratch("broken");
    write(&broken, "broken.sql", "SELECT no_such_column FROM users\n");
    let (code, _, err) = pgview(url, &["diff", "--dir", broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no_such_column"), "{err}");

    // No database.
    let (code, _, err) = pgview(None, &["diff", "--dir", dir]);
    assert_eq!(code, 2);
    assert!(
        err.contains("DATABASE_URL") || err.contains("v.sql"),
        "{err}"
    );
}

#[test]
fn the_folder_format_is_in_the_help() {
    let (code, out, _) = pgview(None, &["help", "diff"]);
    assert_eq!(code, 0);
    for expected in [
        "-- pgview:",
        "materialized",
        "unique_index",
        "schema.name.sql",
        "expression(\"lower(email)\")",
        "where=",
        "using=",
        "Exit status",
    ] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
}

/// Whether a relation exists (`name` as SQL writes it).
fn exists(conn: &mut PgConnection, name: &str) -> bool {
    use diesel::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "to_regclass('{}') IS NOT NULL",
        name.replace('\'', "''")
    )))
    .get_result(conn)
    .unwrap()
}

/// The views in the ownership record, `schema.name`, comma-separated.
fn recorded(conn: &mut PgConnection) -> String {
    use diesel::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<
        diesel::sql_types::Nullable<diesel::sql_types::Text>,
    >(
        "(SELECT string_agg(schema_name || '.' || view_name, ',' ORDER BY schema_name, view_name) \
         FROM pgview.managed_views)",
    ))
    .get_result::<Option<String>>(conn)
    .unwrap()
    .unwrap_or_default()
}

/// `pgview generate --dir <dir> --migrations <migrations>` and more arguments.
fn generate(
    url: Option<&str>,
    dir: &str,
    migrations: &Path,
    more: &[&str],
) -> (i32, String, String) {
    let mut args = vec![
        "generate",
        "--dir",
        dir,
        "--migrations",
        migrations.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    pgview(url, &args)
}

/// The reader of the refusal test, as SQL writes it.
const READER: &str = "\"cli own\".\"reads \"\"base\"\"\"";

/// Views `cli own.base 'x'` and `cli own.keep` created by a migration `pgview generate` wrote
/// (applied), then a teammate's view reading `base 'x'` and the file of `base 'x'` removed.
fn owned_base_read_by_hand(url: Option<&str>, conn: &mut PgConnection) -> Scratch {
    conn.batch_execute("CREATE SCHEMA \"cli own\"").unwrap();
    let views = scratch("owned");
    write(
        &views,
        "base.sql",
        "-- pgview: name=\"cli own\".\"base 'x'\"\nSELECT id, name FROM public.users\n",
    );
    write(
        &views,
        "keep.sql",
        "-- pgview: name=\"cli own\".keep\nSELECT id FROM public.users\n",
    );
    let first = scratch("owned-first");
    let (code, out, err) = generate(url, views.to_str().unwrap(), &first, &[]);
    assert_eq!(code, 0, "{out}{err}");
    run_sql_file(conn, &only_migration(&first).join("up.sql"));
    assert_eq!(recorded(conn), "cli own.base 'x',cli own.keep");
    conn.batch_execute(&format!(
        "CREATE VIEW {READER} AS SELECT id FROM \"cli own\".\"base 'x'\""
    ))
    .unwrap();
    fs::remove_file(views.join("base.sql")).unwrap();
    views
}

/// A view pgview created that a teammate's hand-made view reads: once its file is removed,
/// `generate` refuses (exit status 3, the reader named on standard error, no migration
/// written); `--allow-drop` naming the reader writes the migration, which drops both.
#[test]
fn generate_refuses_to_drop_a_hand_made_reader_unless_allowed() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    let views = owned_base_read_by_hand(url, conn);
    let dir = views.to_str().unwrap();

    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("- view cli own.base 'x': dropped\n"), "{out}");
    assert!(
        out.contains("? view cli own.reads \"base\": unmanaged"),
        "{out}"
    );

    let second = scratch("owned-second");
    let (code, out, err) = generate(url, dir, &second, &[]);
    assert_eq!(code, 3, "{out}{err}");
    assert_eq!(out, "");
    assert!(err.contains("cli own.reads \"base\""), "{err}");
    assert!(err.contains("cli own.base 'x'"), "{err}");
    assert!(err.contains("--allow-drop"), "{err}");
    assert!(err.contains("no migration written"), "{err}");
    assert!(!err.contains("left alone"), "{err}");
    assert_eq!(
        fs::read_dir(&*second).unwrap().count(),
        0,
        "nothing written"
    );
    assert!(exists(conn, READER));

    // Allowing another view refuses still; an invalid name is a usage error.
    let (code, _, err) = generate(url, dir, &second, &["--allow-drop", "cli own.keep"]);
    assert_eq!(code, 3, "{err}");
    let (code, _, err) = generate(url, dir, &second, &["--allow-drop", "a.b.c"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        fs::read_dir(&*second).unwrap().count(),
        0,
        "nothing written"
    );

    let any = scratch("owned-any");
    let (code, out, err) = generate(url, dir, &any, &["--allow-drop-any"]);
    assert_eq!(code, 0, "{out}{err}");
    only_migration(&any);

    let (code, out, err) = generate(url, dir, &second, &["--allow-drop", READER]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("wrote "), "{out}");
    assert!(
        err.contains("warning") && err.contains("cli own.reads \"base\""),
        "{err}"
    );
    assert!(
        err.contains("note: unmanaged view cli own.reads \"base\"") && err.contains("steps: drop"),
        "{err}"
    );
    let folder = only_migration(&second);
    run_sql_file(conn, &folder.join("up.sql"));
    assert!(!exists(conn, READER));
    assert!(!exists(conn, "\"cli own\".\"base 'x'\""));
    assert!(exists(conn, "\"cli own\".keep"));
    assert_eq!(recorded(conn), "cli own.keep");
    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 0, "{out}{err}");

    run_sql_file(conn, &folder.join("down.sql"));
    assert!(exists(conn, READER));
    assert_eq!(recorded(conn), "cli own.base 'x',cli own.keep");
}

/// A hand-made view in the schema of the files is reported as unmanaged by `diff` (exit
/// status 0 when it is the only difference) and left alone by `generate`; `--declared-schemas`
/// puts it in scope again.
#[test]
fn an_unmanaged_view_is_reported_and_left_alone() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE SCHEMA cli_um; CREATE VIEW cli_um.theirs AS SELECT id FROM public.users",
    )
    .unwrap();
    let views = scratch("unmanaged");
    write(
        &views,
        "cli_um.mine.sql",
        "SELECT id, name FROM public.users\n",
    );
    let dir = views.to_str().unwrap();

    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("+ view cli_um.mine: created\n"), "{out}");
    assert!(
        out.contains(
            "? view cli_um.theirs: unmanaged (not declared, not created by pgview): left alone\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("0 unchanged, 1 unmanaged\n"), "{out}");

    let migrations = scratch("unmanaged-migrations");
    let (code, out, err) = pgview(
        url,
        &[
            "generate",
            "--dir",
            dir,
            "--migrations",
            migrations.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("wrote "), "{out}");
    assert!(err.contains("left alone: view cli_um.theirs"), "{err}");
    let folder = only_migration(&migrations);
    let up = fs::read_to_string(folder.join("up.sql")).unwrap();
    assert!(!up.contains("theirs"), "{up}");
    run_migrations(conn, &migrations);
    assert!(exists(conn, "cli_um.theirs"));
    assert_eq!(recorded(conn), "cli_um.mine");

    // Only the unmanaged view differs from the folder: no difference.
    for args in [
        vec!["diff", "--dir", dir],
        vec!["diff", "--dir", dir, "--stat"],
    ] {
        let (code, out, err) = pgview(url, &args);
        assert_eq!(code, 0, "{args:?}: {out}{err}");
        assert!(out.contains("? view cli_um.theirs: unmanaged"), "{out}");
        assert!(out.ends_with("1 unchanged, 1 unmanaged\n"), "{out}");
    }
    let (code, out, err) = pgview(
        url,
        &[
            "generate",
            "--dir",
            dir,
            "--migrations",
            migrations.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no differences"), "{out}");
    assert!(err.contains("left alone: view cli_um.theirs"), "{err}");

    // The schema's every view, as before the record.
    let (code, out, err) = pgview(url, &["diff", "--dir", dir, "--declared-schemas"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("- view cli_um.theirs: dropped\n"), "{out}");
    assert!(!out.contains('?'), "{out}");

    // Declared as it is, it is adopted: a migration with no step records it, and once its
    // file is removed it is dropped.
    write(&views, "cli_um.theirs.sql", "SELECT id FROM public.users\n");
    let adopt = scratch("unmanaged-adopt");
    let (code, out, err) = pgview(
        url,
        &[
            "generate",
            "--dir",
            dir,
            "--migrations",
            adopt.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("(0 steps up, 0 down; it records"), "{out}");
    assert!(!err.contains("left alone"), "{err}");
    run_sql_file(conn, &only_migration(&adopt).join("up.sql"));
    assert_eq!(recorded(conn), "cli_um.mine,cli_um.theirs");
    fs::remove_file(views.join("cli_um.theirs.sql")).unwrap();
    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("- view cli_um.theirs: dropped\n"), "{out}");
}

/// `--view` puts exactly the views named in scope (repeatable, quoted parts); the other views
/// of the schema are neither dropped nor reported.
#[test]
fn the_view_flag_puts_exactly_those_views_in_scope() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE SCHEMA cli_vw;
         CREATE VIEW cli_vw.x AS SELECT id FROM public.users;
         CREATE VIEW cli_vw.\"y 'two'\" AS SELECT id FROM public.users;
         CREATE VIEW cli_vw.z AS SELECT id FROM public.users;",
    )
    .unwrap();
    let views = scratch("view-flag");
    write(&views, "cli_vw.mine.sql", "SELECT id FROM public.users\n");
    let dir = views.to_str().unwrap();

    let (code, out, err) = pgview(url, &["diff", "--dir", dir, "--view", "cli_vw.x"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("- view cli_vw.x: dropped\n"), "{out}");
    assert!(
        !out.contains("y 'two'") && !out.contains("cli_vw.z"),
        "{out}"
    );
    assert!(!out.contains('?'), "{out}");

    let (code, out, err) = pgview(
        url,
        &[
            "diff",
            "--dir",
            dir,
            "--view",
            "cli_vw.x",
            "--view",
            "\"cli_vw\".\"y 'two'\"",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("- view cli_vw.y 'two': dropped\n"), "{out}");
    assert!(!out.contains("cli_vw.z"), "{out}");

    let migrations = scratch("view-flag-migrations");
    let (code, out, err) = pgview(
        url,
        &[
            "generate",
            "--dir",
            dir,
            "--migrations",
            migrations.to_str().unwrap(),
            "--view",
            "cli_vw.x",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    run_sql_file(conn, &only_migration(&migrations).join("up.sql"));
    assert!(!exists(conn, "cli_vw.x"));
    assert!(exists(conn, "cli_vw.\"y 'two'\""));
    assert!(exists(conn, "cli_vw.z"));
    assert!(exists(conn, "cli_vw.mine"));

    // One scope at a time.
    let (code, _, err) = pgview(
        url,
        &[
            "diff", "--dir", dir, "--view", "cli_vw.x", "--schema", "cli_vw",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
}

#[test]
fn the_scopes_and_exit_statuses_are_in_the_help() {
    for command in ["diff", "generate"] {
        let (code, out, _) = pgview(None, &["help", command]);
        assert_eq!(code, 0);
        for expected in [
            "--declared-schemas",
            "--view <VIEW>",
            "unmanaged",
            "pgview.managed_views",
            "Exit status:\n  0  ",
            "  2  usage or connection error",
        ] {
            assert!(out.contains(expected), "{command}: {expected}\n{out}");
        }
    }
    let (_, out, _) = pgview(None, &["help", "diff"]);
    assert!(out.contains("  1  the database differs"), "{out}");
    let (_, out, _) = pgview(None, &["help", "generate"]);
    for expected in ["--allow-drop <VIEW>", "--allow-drop-any", "  3  refused"] {
        assert!(out.contains(expected), "{expected}\n{out}");
    }
}

#[test]
fn a_file_is_one_query_and_its_header_is_read_whatever_precedes_it() {
    use diesel::RunQueryDsl;
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute("CREATE TABLE victim (x int)").unwrap();

    // A second statement: refused before anything reaches the server.
    let views = scratch("multi");
    write(
        &views,
        "m.sql",
        "-- pgview: materialized, unique_index(a), comment=\"c\"\nSELECT 1 AS a; DROP TABLE victim; CREATE TABLE junk AS SELECT 1\n",
    );
    let dir = views.to_str().unwrap();
    for args in [
        vec!["diff", "--dir", dir],
        vec!["generate", "--dir", dir, "--migrations", dir],
    ] {
        let (code, out, err) = pgview(url, &args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("m.sql: the query of materialized view m holds more than one statement: `DROP TABLE victim; …`"), "{err}");
    }
    assert!(exists(conn, "victim"));
    assert!(!exists(conn, "junk"));

    // Header errors name the file, the line and the key; a system schema says why.
    for (text, expected) in [
        (
            "-- pgview: comment=\"a\"\n-- pgview: comment=\"b\"\nSELECT 1 AS a\n",
            "v.sql:2: `comment` is given twice in the header",
        ),
        (
            "-- pgview: name=information_schema.x\nSELECT 1 AS a\n",
            "v.sql:1: `name=` puts the view information_schema.x in `information_schema`, a system schema",
        ),
    ] {
        let bad = scratch("header");
        write(&bad, "v.sql", text);
        let (code, _, err) = pgview(url, &["diff", "--dir", bad.to_str().unwrap()]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(expected), "{err}");
    }

    // A byte-order mark before the header, and a dollar quote tagged `$€$`: the file defines
    // a materialized view of two columns.
    let bom = scratch("bom");
    write(
        &bom,
        "cli_bom.sql",
        "\u{feff}-- pgview: materialized\nSELECT $€$ -- $€$ AS a, $€$\n$€$ AS b\n",
    );
    let migrations = scratch("bom-migrations");
    let bom_dir = bom.to_str().unwrap();
    let (code, out, err) = pgview(
        url,
        &[
            "generate",
            "--dir",
            bom_dir,
            "--migrations",
            migrations.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    run_sql_file(conn, &only_migration(&migrations).join("up.sql"));
    let columns: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM pg_attribute WHERE attrelid = 'public.cli_bom'::regclass AND attnum > 0)",
    ))
    .get_result(conn)
    .unwrap();
    assert_eq!(columns, 2);
    let kind: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "(SELECT relkind::text FROM pg_class WHERE oid = 'public.cli_bom'::regclass)",
    ))
    .get_result(conn)
    .unwrap();
    assert_eq!(kind, "m");
    let (code, out, err) = pgview(url, &["diff", "--dir", bom_dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(exists(conn, "victim"));
}

/// A Pagila-like `rental_category` made by hand with named indexes (a unique one, a Rails-style
/// expression index, a partial one, a gin one): the header naming them the same way gives no
/// difference; a changed `where=` is a difference that `generate` fixes by re-creating that
/// index under its declared name.
#[test]
fn named_expression_partial_and_method_indexes_from_the_header() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE MATERIALIZED VIEW rental_category AS
             SELECT u.id AS user_id, u.email, count(o.id) AS orders, array_agg(o.status) AS statuses
             FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id;
         CREATE UNIQUE INDEX rental_category_user_id_idx ON rental_category (user_id);
         CREATE INDEX index_users_on_lower_email ON rental_category (lower(email));
         CREATE INDEX rental_category_busy ON rental_category (user_id) WHERE orders > 10;
         CREATE INDEX rental_category_statuses ON rental_category USING gin (statuses);",
    )
    .unwrap();
    let views = scratch("indexes");
    let migrations = scratch("index-migrations");
    let header = |predicate: &str| {
        format!(
            "-- pgview: materialized, unique_index(user_id)\n\
             -- pgview: index(name=index_users_on_lower_email, expression(\"lower(email)\"))\n\
             -- pgview: index(name=rental_category_busy, user_id, where=\"{predicate}\")\n\
             -- pgview: index(name=rental_category_statuses, using=gin, statuses)\n\
             SELECT u.id AS user_id, u.email, count(o.id) AS orders, array_agg(o.status) AS statuses\n\
             FROM users u LEFT JOIN orders o ON o.user_id = u.id GROUP BY u.id\n"
        )
    };
    write(&views, "rental_category.sql", &header("orders > 10"));
    let dir = views.to_str().unwrap();
    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 unchanged"), "{out}");

    write(&views, "rental_category.sql", &header("orders > 20"));
    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("indexes: ~rental_category_busy"), "{out}");
    let (code, out, err) = generate(url, dir, &migrations, &["--name", "busier"]);
    assert_eq!(code, 0, "{out}{err}");
    let folder = only_migration(&migrations);
    let up = fs::read_to_string(folder.join("up.sql")).unwrap();
    assert!(
        up.contains("DROP INDEX \"public\".\"rental_category_busy\""),
        "{up}"
    );
    assert!(
        up.contains("CREATE INDEX \"rental_category_busy\" ON"),
        "{up}"
    );
    assert!(!up.contains("index_users_on_lower_email"), "{up}");
    run_sql_file(conn, &folder.join("up.sql"));
    let (code, out, err) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 0, "{out}{err}");
}

/// `--exclude` leaves a view out of the comparison even when a file declares it: not
/// compared, and `generate` leaves it (and its expression index) alone.
#[test]
fn an_excluded_view_with_a_file_is_left_alone() {
    let db = pgview_testkit::fresh_database();
    let url = Some(db.url());
    let conn = &mut PgConnection::establish(db.url()).unwrap();
    conn.batch_execute(
        "CREATE MATERIALIZED VIEW cli_ex AS SELECT user_id, count(*) AS n FROM orders GROUP BY user_id;
         CREATE INDEX cli_ex_expr ON cli_ex ((n * 2));",
    )
    .unwrap();
    let views = scratch("views");
    write(
        &views,
        "cli_ex.sql",
        "-- pgview: materialized, unique_index(user_id)\n\
         SELECT user_id, count(*) AS n FROM orders GROUP BY user_id\n",
    );
    write(&views, "cli_kept.sql", "SELECT id FROM users\n");
    let dir = views.to_str().unwrap();
    let migrations = scratch("migrations");

    // Compared, the file's view differs (its indexes).
    let (code, out, _) = pgview(url, &["diff", "--dir", dir]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("public.cli_ex: changed"), "{out}");

    let (code, out, err) = pgview(url, &["diff", "--dir", dir, "--exclude", "cli_ex"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("cli_ex"), "{out}");
    assert!(out.contains("public.cli_kept: created"), "{out}");
    let (code, out, err) = generate(url, dir, &migrations, &["--exclude", "public.cli_ex"]);
    assert_eq!(code, 0, "{out}{err}");
    let up = fs::read_to_string(only_migration(&migrations).join("up.sql")).unwrap();
    assert!(!up.contains("cli_ex"), "{up}");
    run_sql_file(conn, &only_migration(&migrations).join("up.sql"));
    assert!(exists(conn, "cli_ex_expr"));
    let (code, out, err) = pgview(url, &["diff", "--dir", dir, "--exclude", "cli_ex"]);
    assert_eq!(code, 0, "{out}{err}");
}
