//! One module per command.

pub mod api_key;
pub mod doctor;
pub mod link;
pub mod login;
pub mod logout;
pub mod token;
pub mod whoami;

use skytells_auth::skytells::Identity;

/// `Ada Lovelace (ada@example.com)`, or whatever part of it is known.
pub fn describe_identity(identity: &Identity) -> String {
    match (&identity.name, &identity.email) {
        (Some(name), Some(email)) => format!("{name} ({email})"),
        (Some(name), None) => name.clone(),
        (None, Some(email)) => email.clone(),
        (None, None) => format!("user {}", identity.id),
    }
}
