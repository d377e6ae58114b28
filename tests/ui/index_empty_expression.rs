use pgview::PgView;

#[derive(PgView)]
#[pgview(name = "v", materialized, sql = "SELECT 1 AS id")]
#[pgview(index(expression = " ", where = ""))]
struct V {
    id: i32,
}

fn main() {}
