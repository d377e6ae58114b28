use pgview::PgView;

#[derive(PgView)]
#[pgview(name = "v", materialized, sql = "SELECT 1 AS id")]
#[pgview(unique_index(id, using = "gin"))]
struct V {
    id: i32,
}

fn main() {}
