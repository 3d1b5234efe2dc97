//! [`Payload`]: the arguments of an EVENT or ACK plus their binary attachments.

use bytes::Bytes;

use super::binary::check_placeholders;
use super::data::Data;
use super::error::ApiMisuse;
use super::json::{self, MAX_DEPTH_CAP};
use super::raw_json::RawJson;

/// Arguments as JSON text, plus the binary attachments their placeholders refer to.
///
/// Invariant: the `{"_placeholder":true,"num":k}` objects in the arguments refer to the
/// attachments one to one (each `k` below the attachment count, each attachment referenced
/// exactly once). Every constructor checks it, so a payload always encodes into a packet that
/// Node's decoder reconstructs.
///
/// Echoing works without touching the JSON: a payload received from a client can be sent back
/// as is, attachments and all. [`Payload::to_data`] gives the arguments as a tree with the binary
/// in place, and [`Payload::from_data`] builds a payload from such a tree.
#[derive(Clone, Default)]
pub struct Payload {
    args: Args,
    attachments: Attachments,
}

/// The binary attachments: most payloads have none, and carry no empty list for it (a payload
/// is moved in every event, acknowledgement and command, and dropped after each: an empty `Vec`'s
/// drop was an out-of-line call per acknowledgement, callgrind, echo). A list is shrunk to its
/// length once, when the payload is made (the handles only; the attachments are not copied).
#[derive(Clone, Default, PartialEq)]
struct Attachments(Option<Box<[Bytes]>>);

impl Attachments {
    fn from_vec(attachments: Vec<Bytes>) -> Self {
        Self((!attachments.is_empty()).then(|| attachments.into_boxed_slice()))
    }

    fn as_slice(&self) -> &[Bytes] {
        self.0.as_deref().unwrap_or_default()
    }

    fn into_vec(self) -> Vec<Bytes> {
        self.0.map(<[Bytes]>::into_vec).unwrap_or_default()
    }
}

/// The arguments: one on its own, without a list around it (most events carry one, and a list
/// of one was one of the allocations of every event read: callgrind, echo), or a list.
#[derive(Clone)]
enum Args {
    One(RawJson),
    List(Vec<RawJson>),
}

impl Default for Args {
    fn default() -> Self {
        Self::List(Vec::new())
    }
}

impl Args {
    fn as_slice(&self) -> &[RawJson] {
        match self {
            Self::One(arg) => std::slice::from_ref(arg),
            Self::List(args) => args,
        }
    }

    fn into_vec(self) -> Vec<RawJson> {
        match self {
            Self::One(arg) => vec![arg],
            Self::List(args) => args,
        }
    }
}

/// Built by the decoder: one argument is kept without a list.
pub(crate) struct ArgsBuilder(Option<Args>);

impl ArgsBuilder {
    /// No arguments yet.
    pub(crate) fn new() -> Self {
        Self(None)
    }

    /// Appends an argument.
    pub(crate) fn push(&mut self, arg: RawJson) {
        self.0 = Some(match self.0.take() {
            None => Args::One(arg),
            Some(Args::One(first)) => Args::List(vec![first, arg]),
            Some(Args::List(mut args)) => {
                args.push(arg);
                Args::List(args)
            }
        });
    }

    /// The arguments as a list (a binary event's, completed once its attachments are in).
    pub(crate) fn into_vec(self) -> Vec<RawJson> {
        self.0.map(Args::into_vec).unwrap_or_default()
    }

    fn build(self) -> Args {
        self.0.unwrap_or_default()
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Self) -> bool {
        self.args() == other.args() && self.attachments == other.attachments
    }
}

impl Eq for Payload {}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payload")
            .field("args", &self.args())
            .field("attachments", &self.attachments.as_slice())
            .finish()
    }
}

impl Payload {
    /// Arguments and the attachments their placeholders refer to (checked one to one).
    pub fn new(args: Vec<RawJson>, attachments: Vec<Bytes>) -> Result<Self, ApiMisuse> {
        let mut nums = Vec::new();
        for arg in &args {
            let scanned =
                json::scan(arg.as_str(), MAX_DEPTH_CAP).map_err(ApiMisuse::InvalidJson)?;
            nums.extend(scanned.placeholders);
        }
        check_placeholders(&nums, attachments.len()).map_err(ApiMisuse::PlaceholderMismatch)?;
        Ok(Self {
            args: Args::List(args),
            attachments: Attachments::from_vec(attachments),
        })
    }

    /// Arguments without binary (refused if one of them contains a placeholder object).
    pub fn json(args: Vec<RawJson>) -> Result<Self, ApiMisuse> {
        Self::new(args, Vec::new())
    }

    /// No arguments.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds a payload from trees: each [`Data::Binary`] becomes a placeholder and an attachment.
    pub fn from_data(args: &[Data]) -> Self {
        let mut attachments = Vec::new();
        let args = args
            .iter()
            .map(|d| RawJson::from_trusted(d.to_json_with_placeholders(&mut attachments)))
            .collect();
        Self {
            args: Args::List(args),
            attachments: Attachments::from_vec(attachments),
        }
    }

    /// The arguments as trees with each placeholder replaced by its attachment.
    ///
    /// Fails only on text `serde_json` cannot decode (a string with a lone surrogate escape).
    pub fn to_data(&self) -> Result<Vec<Data>, serde_json::Error> {
        self.args()
            .iter()
            .map(|a| Data::from_json(a.as_str(), self.attachments.as_slice()))
            .collect()
    }

    /// The arguments, placeholders included.
    pub fn args(&self) -> &[RawJson] {
        self.args.as_slice()
    }

    /// The binary attachments, in placeholder order.
    pub fn attachments(&self) -> &[Bytes] {
        self.attachments.as_slice()
    }

    /// Whether the payload carries binary attachments.
    pub fn has_binary(&self) -> bool {
        self.attachments.0.is_some()
    }

    /// Splits the payload into its arguments and attachments.
    pub fn into_parts(self) -> (Vec<RawJson>, Vec<Bytes>) {
        (self.args.into_vec(), self.attachments.into_vec())
    }

    /// For the decoder, which has checked the placeholders itself.
    pub(crate) fn from_checked(args: Vec<RawJson>, attachments: Vec<Bytes>) -> Self {
        Self {
            args: Args::List(args),
            attachments: Attachments::from_vec(attachments),
        }
    }

    /// For the decoder, which has checked the placeholders itself (an event without binary).
    pub(crate) fn from_checked_args(args: ArgsBuilder) -> Self {
        Self {
            args: args.build(),
            attachments: Attachments::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::proto::error::DecodeError;

    fn raw(s: &str) -> RawJson {
        RawJson::parse(s).unwrap()
    }

    #[test]
    fn one_argument_reads_like_a_list_of_one() {
        for args in [vec![], vec![raw("1")], vec![raw("1"), raw(r#""two""#)]] {
            let mut built = ArgsBuilder::new();
            args.iter().cloned().for_each(|a| built.push(a));
            let decoded = Payload::from_checked_args(built);
            let listed = Payload::json(args.clone()).unwrap();
            assert_eq!(decoded.args(), &args[..]);
            assert_eq!(decoded, listed);
            assert_eq!(format!("{decoded:?}"), format!("{listed:?}"));
            assert_eq!(decoded.into_parts(), (args, vec![]));
        }
        // A second argument makes the one a list.
        let mut built = ArgsBuilder::new();
        built.push(raw("1"));
        built.push(raw("2"));
        assert_eq!(built.into_vec(), vec![raw("1"), raw("2")]);
    }

    #[test]
    fn placeholders_must_match_attachments() {
        let ph0 = raw(r#"{"_placeholder":true,"num":0}"#);
        let ph1 = raw(r#"{"a":[{"_placeholder":true,"num":1}]}"#);
        let one = Bytes::from_static(b"\x01");
        assert!(Payload::new(
            vec![ph0.clone(), ph1.clone()],
            vec![one.clone(), one.clone()]
        )
        .is_ok());
        assert_eq!(
            Payload::new(vec![ph0.clone()], vec![]).unwrap_err(),
            ApiMisuse::PlaceholderMismatch(DecodeError::PlaceholderWithoutAttachments)
        );
        assert_eq!(
            Payload::new(
                vec![ph0.clone(), ph0.clone()],
                vec![one.clone(), one.clone()]
            )
            .unwrap_err(),
            ApiMisuse::PlaceholderMismatch(DecodeError::DuplicatePlaceholder(0))
        );
        assert_eq!(
            Payload::new(vec![ph1], vec![one.clone()]).unwrap_err(),
            ApiMisuse::PlaceholderMismatch(DecodeError::PlaceholderOutOfRange {
                num: 1,
                attachments: 1
            })
        );
        assert_eq!(
            Payload::new(vec![raw("1")], vec![one]).unwrap_err(),
            ApiMisuse::PlaceholderMismatch(DecodeError::UnreferencedAttachment(0))
        );
    }

    #[test]
    fn data_round_trip_keeps_binary_and_order() {
        let bin = Bytes::from_static(&[1, 2, 3]);
        let data = vec![
            Data::String("x".into()),
            Data::Object(vec![
                ("z".into(), Data::Binary(bin.clone())),
                (
                    "a".into(),
                    Data::Array(vec![Data::Null, Data::Binary(bin.clone())]),
                ),
            ]),
        ];
        let p = Payload::from_data(&data);
        assert_eq!(p.attachments().len(), 2);
        assert_eq!(
            p.args()[1].as_str(),
            r#"{"z":{"_placeholder":true,"num":0},"a":[null,{"_placeholder":true,"num":1}]}"#
        );
        assert_eq!(p.to_data().unwrap(), data);
        // and the invariant holds for what from_data built
        let (args, att) = p.clone().into_parts();
        assert_eq!(Payload::new(args, att).unwrap(), p);
    }
}
