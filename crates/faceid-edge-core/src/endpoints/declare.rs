//! The one declaration of the calls: [`endpoints!`](crate::endpoints)
//! takes the rows of the table (each with its doc comment, its variant name
//! and its fields) and makes from them, in their order, [`Kind`] (a variant
//! per row), [`TokenKind`] (a variant per row with a `token`), the table
//! [`ENDPOINTS`] and [`Kind::EVERY`]. Nothing else lists the calls: a new
//! call is one more row in `rows.rs`, and the enums, the table's length and
//! every test that walks them follow.
//!
//! [`Kind`]: super::Kind
//! [`TokenKind`]: crate::order_token::TokenKind
//! [`ENDPOINTS`]: super::ENDPOINTS
//! [`Kind::EVERY`]: super::Kind::EVERY

/// Declares the calls (see the module's documentation). A row:
///
/// ```text
/// /// Doc of the Kind variant.
/// Variant {
///     name: "jsName", request_kind: true, path: "/api/…", method: Method::Get,
///     host: Host::Server, app_id_param: "app_id", files: Files::Face,
///     media: &[…], trim: &[…],
///     token: TokenVariant = "tokenname",   // optional: an order token kind
///     route: RouteRow { … },               // optional: an edge route
/// },
/// ```
macro_rules! endpoints {
    (
        $(
            $(#[doc = $doc:literal])*
            $kind:ident {
                name: $name:literal,
                request_kind: $request_kind:expr,
                path: $path:literal,
                method: $method:expr,
                host: $host:expr,
                app_id_param: $app_id_param:literal,
                files: $files:expr,
                media: $media:expr,
                trim: $trim:expr,
                $( token: $token:ident = $token_name:literal, )?
                $( route: $route:expr, )?
            },
        )+
    ) => {
        /// The calls the client makes, one per row of [`ENDPOINTS`], in its
        /// order (declared with the rows, in `endpoints/rows.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Kind {
            $(
                $(#[doc = $doc])*
                $kind,
            )+
        }

        /// What a token opens: one kind of result of one order (a variant
        /// per row of [`ENDPOINTS`] with a token, declared there).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum TokenKind {
            $($(
                #[doc = concat!("The result of [`Kind::", stringify!($kind), "`], named `", $token_name, "`.")]
                $token,
            )?)+
        }

        impl Kind {
            /// Every call, in the table's order (with those `signedRequest`
            /// does not take: see [`Kind::ALL`]).
            pub const EVERY: [Kind; [$(Kind::$kind),+].len()] = [$(Kind::$kind),+];
        }

        impl TokenKind {
            /// Every token kind, in the table's order.
            pub const ALL: [TokenKind; [$($(TokenKind::$token,)?)+].len()] =
                [$($(TokenKind::$token,)?)+];
        }

        /// Every call the client makes, in the order of [`Kind`].
        pub const ENDPOINTS: [Endpoint; Kind::EVERY.len()] = [
            $(
                Endpoint {
                    kind: Kind::$kind,
                    name: $name,
                    request_kind: $request_kind,
                    path: $path,
                    method: $method,
                    host: $host,
                    app_id_param: $app_id_param,
                    files: $files,
                    media: $media,
                    trim: $trim,
                    token: endpoints!(@token $($token $token_name)?),
                    route: endpoints!(@route $($route)?),
                },
            )+
        ];
    };
    (@token) => { None };
    (@token $token:ident $name:literal) => {
        Some(TokenRow { kind: TokenKind::$token, name: $name })
    };
    (@route) => { None };
    (@route $route:expr) => { Some($route) };
}
