//! Digests and encodings (ODK XForms spec: `digest`, `base64-decode`), as ODK Collect
//! computes them: text is hashed and decoded as UTF-8.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use super::Args;
use crate::error::EvalError;
use crate::value::Value;

type R = Result<Value, EvalError>;

/// Standard base64, padded or not (as Collect reads it).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// `digest(text, algorithm, encoding?)`: the hash of the text's UTF-8 bytes with `MD5`,
/// `SHA-1`, `SHA-256`, `SHA-384` or `SHA-512` (any case, with or without the hyphen), in
/// `base64` (the default) or `hex` (lower case).
pub(super) fn digest(a: &mut Args<'_, '_>) -> R {
    let text = a.string(0)?;
    let algorithm = a.string(1)?;
    let encoding = if a.len() > 2 {
        a.string(2)?
    } else {
        "base64".to_owned()
    };
    let bytes = text.as_bytes();
    let hash: Vec<u8> = match algorithm.to_uppercase().replace('-', "").as_str() {
        "MD5" => Md5::digest(bytes).to_vec(),
        "SHA1" => Sha1::digest(bytes).to_vec(),
        "SHA256" => Sha256::digest(bytes).to_vec(),
        "SHA384" => Sha384::digest(bytes).to_vec(),
        "SHA512" => Sha512::digest(bytes).to_vec(),
        _ => {
            return Err(EvalError::invalid_argument(
                a.name(),
                format!(
                    "`{algorithm}` is not an algorithm it knows: write 'MD5', 'SHA-1', \
                     'SHA-256', 'SHA-384' or 'SHA-512'"
                ),
            ));
        }
    };
    Ok(Value::String(match encoding.to_lowercase().as_str() {
        "base64" => BASE64.encode(hash),
        "hex" => hash.iter().map(|byte| format!("{byte:02x}")).collect(),
        _ => {
            return Err(EvalError::invalid_argument(
                a.name(),
                format!("`{encoding}` is not an encoding it knows: write 'base64' or 'hex'"),
            ));
        }
    }))
}

/// `base64-decode(text)`: the UTF-8 text base64 `text` holds (bytes that are not UTF-8
/// become U+FFFD, as in Collect); `''` when `text` is not base64.
pub(super) fn base64_decode(a: &mut Args<'_, '_>) -> R {
    let text = a.string(0)?;
    Ok(Value::String(match BASE64.decode(text.trim()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    }))
}
