//! The service's hosts: the default base URLs, the `hosts` option and
//! `devHosts`.

use crate::endpoints::Host;
use crate::error::{Error, Result};
use crate::validate;

/// The default `serverUrl` (tokens, tickets and the four GET result
/// queries): the host every current official page shows.
pub const DEFAULT_SERVER_URL: &str = "https://kyc1.qcloud.com";
/// The default `kycUrl` (`getAdvFaceId`, ID card OCR from an image,
/// `queryfacerecord`, and the face page when the service names no
/// `optimalDomain`): the same current host.
pub const DEFAULT_KYC_URL: &str = "https://kyc1.qcloud.com";
/// The legacy `serverUrl` of the older pages (`hosts: "legacy"`).
pub const LEGACY_SERVER_URL: &str = "https://idasc.webank.com";
/// The legacy `kycUrl` of the older pages (`hosts: "legacy"`).
pub const LEGACY_KYC_URL: &str = "https://miniprogram-kyc.tencentcloudapi.com";

/// Checks an entry of `devHosts`: a host name (letters, digits, `-` and
/// `.`, at most 253 characters), such as a docker compose service `sim`.
pub fn dev_host(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
        && !name.starts_with(['-', '.']);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidOption(format!(
            "devHosts takes host names such as \"sim\" (letters, digits, '-' and '.'); got {}",
            validate::quote(name)
        )))
    }
}

/// Which pair of default hosts a client uses when `serverUrl` or `kycUrl`
/// is not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Hosts {
    /// `https://kyc1.qcloud.com` for every call (the current pages).
    #[default]
    Current,
    /// `https://idasc.webank.com` and
    /// `https://miniprogram-kyc.tencentcloudapi.com` (the older pages).
    Legacy,
}

impl Hosts {
    /// Parses the `hosts` option: `"current"` or `"legacy"`.
    pub fn from_name(name: &str) -> Result<Hosts> {
        match name {
            "current" => Ok(Hosts::Current),
            "legacy" => Ok(Hosts::Legacy),
            _ => Err(Error::InvalidOption(format!(
                "hosts must be \"current\" (https://kyc1.qcloud.com) or \"legacy\" (https://idasc.webank.com and https://miniprogram-kyc.tencentcloudapi.com); got {}",
                validate::quote(name)
            ))),
        }
    }

    /// The default base URL of `host` in this set.
    pub fn base(self, host: Host) -> &'static str {
        match (self, host) {
            (Hosts::Current, Host::Server) => DEFAULT_SERVER_URL,
            (Hosts::Current, Host::Kyc) => DEFAULT_KYC_URL,
            (Hosts::Legacy, Host::Server) => LEGACY_SERVER_URL,
            (Hosts::Legacy, Host::Kyc) => LEGACY_KYC_URL,
        }
    }
}
