//! One request and the meaning of its answer, as a value.

use super::error::RequestError;
use crate::Transmit;

/// A single request and the meaning of its answer. A driver runs any of them the same
/// way: send [`transmit`](Exchange::transmit), hand the response to
/// [`interpret`](Exchange::interpret), or turn a transport failure into
/// `RequestError::Transport` and that into [`Error`](Exchange::Error).
pub trait Exchange {
    /// What a successful answer yields.
    type Output;
    /// What a failure is reported as.
    type Error: From<RequestError>;

    /// The request to send, or why the parts given cannot form one (nothing is sent).
    fn transmit(&self) -> Result<Transmit, Self::Error>;

    /// What the answer means.
    fn interpret(&self, response: http::Response<Vec<u8>>) -> Result<Self::Output, Self::Error>;
}

/// What an [`Exchange`] comes to: its output, or its error.
pub type Answer<E> = Result<<E as Exchange>::Output, <E as Exchange>::Error>;
