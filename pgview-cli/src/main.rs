//! `pgview`: the command-line tool of pgview, the library's command line with no derived views
//! (see the library's documentation for the commands and exit statuses).

fn main() {
    pgview_cli::main(Ok(pgview_core::ViewSet::new()));
}
