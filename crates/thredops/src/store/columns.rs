//! Column types shared by row structs that derive `sqlx::FromRow`.

/// A yes/no stored as an integer (0 or 1) on both backends. Row structs keep a `bool` field and
/// decode through it: `#[sqlx(try_from = "IntFlag")]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct IntFlag(pub i64);

impl From<IntFlag> for bool {
    fn from(flag: IntFlag) -> Self {
        flag.0 != 0
    }
}
