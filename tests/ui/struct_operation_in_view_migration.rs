use pgview::{PgView, migration::{Operation, ViewMigration}};

#[derive(PgView)]
#[pgview(name = "paid_orders", sql = "SELECT 1 AS id")]
struct PaidOrders {
    id: i32,
}

fn main() -> pgview::Result<()> {
    // A migration that runs later must not follow the struct's current definition.
    let _ = ViewMigration::new("2024-06-01-000000_paid_orders")?
        .operation(Operation::create::<PaidOrders>()?);
    Ok(())
}
