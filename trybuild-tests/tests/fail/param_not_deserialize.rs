use agentwire::prelude::*;

struct Point {
    x: f64,
    y: f64,
}

#[agent]
async fn norm(point: Point) -> f64 {
    point.x.hypot(point.y)
}

fn main() {}
