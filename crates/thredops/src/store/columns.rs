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

/// Lets an enum kept as its name decode wherever text does, through its `parse` (which answers
/// `Option<Self>`), so a nullable column reads as an `Option` of it with the `FromRow` derive.
macro_rules! decode_by_name {
    ($ty:ty, $what:literal) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $ty
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $ty
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let name = <String as sqlx::Decode<'r, DB>>::decode(value)?;
                <$ty>::parse(&name)
                    .ok_or_else(|| format!(concat!("unknown ", $what, " {:?}"), name).into())
            }
        }
    };
}
pub(crate) use decode_by_name;
