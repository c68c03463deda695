//! Nested structs and enums keep their source names in the IPLD schema and the Rust
//! bindings (`ir::meta::WireNames`), at every depth: params, replies, arrays of structs,
//! generic instances, and a struct used in several places defined once.

use tandem_lang_driver::{bindgen, compile_module, ipld_schema::schema};

const SRC: &str = r#"
struct Point { x: u256, y: i64 }
struct Seg { a: Point, b: Point, tag: bool }
struct Pair<T> { left: T, right: T }
enum Color { Red, Green, Blue }

message Geo {
    Flip { s: Seg } -> Seg,
    Paint { c: Color, ps: [Point; 2] } -> (Color, Point),
    Twin { p: Pair<u8> } -> u8,
}
struct Nothing { }

contract Shapes {
    storage: Nothing
    init(origin: Point) { }
    recv Geo {
        Flip { s } => { Seg { a: s.b, b: s.a, tag: !s.tag } }
        Paint { c, ps } => { (c, ps[0]) }
        Twin { p } => { p.left }
    }
}
"#;

#[test]
fn nested_structs_and_enums_are_named() {
    let module = compile_module(&[("Shapes.tdm".into(), SRC.into())]).expect("compiles");
    let s = schema(&module.contracts[0]);
    let text = s.render();
    let has = |part: &str| assert!(text.contains(part), "missing:\n{part}\nin:\n{text}");
    // The structs by their names, fields by theirs, each defined once.
    has(
        "type Point struct {\n  # uint256: u256\n  x BigInt\n  # int64: i64\n  y Int\n} representation tuple\n",
    );
    has(
        "type Seg struct {\n  # (uint256,int64)\n  a Point\n  # (uint256,int64)\n  b Point\n  # bool\n  tag Bool\n} representation tuple\n",
    );
    assert_eq!(text.matches("type Point struct").count(), 1, "{text}");
    assert_eq!(text.matches("type Seg struct").count(), 1, "{text}");
    // Params and replies refer to them.
    has("type ShapesConstructorParams struct {\n  # (uint256,int64)\n  origin Point\n}");
    has("type FlipParams struct {\n  # ((uint256,int64),(uint256,int64),bool)\n  s Seg\n}");
    has("type FlipReturn Seg\n");
    has("  ps [Point]\n");
    // An enum: its variants by index.
    has(
        "type Color enum {\n  | Red (\"0\")\n  | Green (\"1\")\n  | Blue (\"2\")\n} representation int\n",
    );
    has("  # uint8\n  c Color\n");
    // A tuple reply stays positional, its parts named.
    has("type PaintReturn struct {\n  # uint8\n  r0 Color\n  # (uint256,int64)\n  r1 Point\n}");
    // A generic instance: the name flattened.
    has("type PairU8 struct {\n  # uint8: u8\n  left Int\n  # uint8: u8\n  right Int\n}");
    // No positional names are left.
    for old in ["Param0", "Param1", "Field0", "f0 "] {
        assert!(!text.contains(old), "{old} in\n{text}");
    }

    let rust = bindgen::rust(&s);
    for part in [
        "pub struct Point {",
        "    pub x: BigInt,",
        "pub struct Seg {",
        "    pub a: Point,",
        "    pub tag: bool,",
        "pub struct PairU8 {",
        "    pub left: u8,",
        "pub type Color = u8;",
        "pub const COLOR_GREEN: Color = 1;",
        "    pub ps: alloc::vec::Vec<Point>,",
        "    pub r0: Color,",
        "pub type FlipReturn = Seg;",
    ] {
        assert!(rust.contains(part), "missing `{part}` in:\n{rust}");
    }
}

/// The validator knows the enum: an index past the last variant is refused.
#[test]
fn the_validator_checks_enum_indices() {
    let module = compile_module(&[("Shapes.tdm".into(), SRC.into())]).expect("compiles");
    let s = schema(&module.contracts[0]);
    let paint = s
        .messages
        .iter()
        .find(|m| m.variant == "Paint")
        .expect("Paint")
        .method;
    // [c, [[x, y], [x, y]]]: BigInt x is a byte string (empty for 0).
    let params = |c: u8| vec![0x82, c, 0x82, 0x82, 0x40, 0x01, 0x82, 0x40, 0x02];
    s.check_params(paint, Some(&params(2)))
        .expect("Blue is variant 2");
    let e = s.check_params(paint, Some(&params(3))).unwrap_err();
    assert!(e.contains("Color: no variant 3"), "{e}");
}
