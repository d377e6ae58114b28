use pgview::PgView;

#[derive(PgView)]
#[pgview(name = "v", materialized, sql = "SELECT 1 AS id")]
#[pgview(index(id, name = "a", name = "b"))]
struct V {
    id: i32,
}

fn main() {}
