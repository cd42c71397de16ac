//! Validated values, made once where they enter (an argument, a URL, the
//! identity hook) and passed on as they are: an [`OrderNo`] is known to be
//! 1 to 32 ASCII letters or digits wherever it goes, and a [`UserId`] to
//! be 1 to 30 of them (what a NONCE ticket takes), without checking again.

use core::fmt;
use core::ops::Deref;

use crate::error::Result;
use crate::validate;

/// An order number: 1 to [`validate::ORDER_NO_MAX`] ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderNo(String);

impl OrderNo {
    /// `value` as an order number; `INVALID_ORDER_NO` with what to fix
    /// otherwise.
    pub fn new(value: &str) -> Result<OrderNo> {
        validate::order_no(value)?;
        Ok(OrderNo(value.to_owned()))
    }

    /// A new random order number (32 letters and digits from the CSPRNG),
    /// for the orders the edge handler starts.
    pub fn fresh() -> Result<OrderNo> {
        OrderNo::new(&crate::nonce::nonce()?)
    }

    /// The order number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for OrderNo {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user id for the H5 and SDK flows: 1 to
/// [`validate::NONCE_USER_ID_MAX`] ASCII letters or digits (what a NONCE
/// ticket takes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    /// `value` as a user id; `INVALID_USER_ID` with what to fix otherwise.
    pub fn new(value: &str) -> Result<UserId> {
        validate::user_id(value, validate::NONCE_USER_ID_MAX)?;
        Ok(UserId(value.to_owned()))
    }

    /// The user id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for UserId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_valid_values_are_made() {
        assert_eq!(OrderNo::new("order1").map(|o| o.len()), Ok(6));
        assert_eq!(
            OrderNo::new("").map_err(|e| e.code()),
            Err("INVALID_ORDER_NO")
        );
        assert!(OrderNo::new(&"a".repeat(33)).is_err());
        assert!(OrderNo::new("order-1").is_err());
        let fresh = OrderNo::fresh().map(|o| o.as_str().to_owned());
        assert!(fresh.is_ok_and(|o| o.len() == 32));
        assert_eq!(
            UserId::new("alice").map(|u| u.to_string()),
            Ok("alice".into())
        );
        assert!(UserId::new(&"u".repeat(31)).is_err());
        assert_eq!(
            UserId::new("a b").map_err(|e| e.code()),
            Err("INVALID_USER_ID")
        );
    }
}
