//! Turning application values into event arguments.

use crate::proto::{Data, Payload, RawJson};

/// Values that can be sent as the arguments of an event or an acknowledgement.
pub trait IntoPayload {
    /// The arguments.
    fn into_payload(self) -> Payload;
}

impl IntoPayload for Payload {
    fn into_payload(self) -> Payload {
        self
    }
}

impl IntoPayload for &Payload {
    fn into_payload(self) -> Payload {
        self.clone()
    }
}

/// No arguments.
impl IntoPayload for () {
    fn into_payload(self) -> Payload {
        Payload::empty()
    }
}

/// One JSON argument.
impl IntoPayload for serde_json::Value {
    fn into_payload(self) -> Payload {
        Payload::from_data(&[Data::from(self)])
    }
}

/// One JSON argument.
impl IntoPayload for &serde_json::Value {
    fn into_payload(self) -> Payload {
        Payload::from_data(&[Data::from(self.clone())])
    }
}

/// One string argument.
impl IntoPayload for &str {
    fn into_payload(self) -> Payload {
        Payload::json(vec![RawJson::string(self)]).unwrap_or_default()
    }
}

/// One argument, binary allowed anywhere inside.
impl IntoPayload for Data {
    fn into_payload(self) -> Payload {
        Payload::from_data(&[self])
    }
}

/// Several arguments, binary allowed anywhere inside.
impl IntoPayload for Vec<Data> {
    fn into_payload(self) -> Payload {
        Payload::from_data(&self)
    }
}

/// One binary argument.
impl IntoPayload for bytes::Bytes {
    fn into_payload(self) -> Payload {
        Payload::from_data(&[Data::Binary(self)])
    }
}
