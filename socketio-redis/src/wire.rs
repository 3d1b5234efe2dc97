//! The messages of the Node Redis adapter (`@socket.io/redis-adapter` 8, its "classic" adapter),
//! as that adapter reads and writes them:
//!
//! - channels, for a key (`socket.io` by default) and a namespace: `socket.io#/nsp#` for
//!   broadcasts (with `room#` appended when the broadcast targets exactly one room),
//!   `socket.io-request#/nsp#` for requests, `socket.io-response#/nsp#` for responses (and
//!   `socket.io-response#/nsp#<uid>#` for responses to one node);
//! - a broadcast is MessagePack `[uid, packet, opts]`, the packet `{type: 2, data: [event,
//!   ...args], nsp}` with binary as `bin`, the options `{rooms: [..], except: [..], flags: {..}}`;
//! - requests and responses are JSON objects with a numeric `type` and a `requestId`, except a
//!   broadcast with acknowledgements (type 7) and each acknowledgement (type 9), which are
//!   MessagePack because they carry packets. A message is JSON when its first byte is `{`.

use crate::msgpack::{self, Malformed};
use serde_json::{json, Value};
use socketio::proto::{Data, Payload};
use socketio::runtime::{ClusterBroadcast, ClusterOp, Room, Selector, SocketInfo};
use std::time::Duration;

/// Request and response types (`RequestType` in the Node adapter).
mod kind {
    pub const SOCKETS: u64 = 0;
    pub const ALL_ROOMS: u64 = 1;
    pub const REMOTE_JOIN: u64 = 2;
    pub const REMOTE_LEAVE: u64 = 3;
    pub const REMOTE_DISCONNECT: u64 = 4;
    pub const REMOTE_FETCH: u64 = 5;
    pub const SERVER_SIDE_EMIT: u64 = 6;
    pub const BROADCAST: u64 = 7;
    pub const BROADCAST_CLIENT_COUNT: u64 = 8;
    pub const BROADCAST_ACK: u64 = 9;
}

/// Socket.IO's EVENT packet type (a broadcast's `packet.type`).
const EVENT: u64 = 2;
/// BINARY_EVENT, accepted too.
const BINARY_EVENT: u64 = 5;

/// The channels of one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Channels {
    /// `key#nsp#`: broadcasts (subscribed as the pattern `key#nsp#*`).
    pub broadcast: String,
    /// `key-request#nsp#`.
    pub request: String,
    /// `key-response#nsp#`.
    pub response: String,
    /// `key-response#nsp#uid#`: responses meant for this node only.
    pub own_response: String,
    /// `key#nsp#*`: the pattern that catches every broadcast of the namespace.
    pub pattern: String,
}

impl Channels {
    pub(crate) fn new(key: &str, nsp: &str, uid: &str) -> Self {
        let response = format!("{key}-response#{nsp}#");
        let broadcast = format!("{key}#{nsp}#");
        Self {
            pattern: format!("{broadcast}*"),
            broadcast,
            request: format!("{key}-request#{nsp}#"),
            own_response: format!("{response}{uid}#"),
            response,
        }
    }

    /// Where a broadcast to `selector` is published: the room's channel for exactly one room.
    pub(crate) fn broadcast_for(&self, selector: &Selector) -> String {
        match selector.rooms.as_slice() {
            [room] => format!("{}{room}#", self.broadcast),
            _ => self.broadcast.clone(),
        }
    }

    /// The channel a response to `requester` goes to.
    pub(crate) fn response_to(&self, requester: Option<&str>, specific: bool) -> String {
        match (specific, requester) {
            (true, Some(uid)) => format!("{}{uid}#", self.response),
            _ => self.response.clone(),
        }
    }
}

/// A broadcast read from a broadcast channel.
#[derive(Debug, PartialEq)]
pub(crate) struct BroadcastMessage {
    /// The sending node (`emitter` for `@socket.io/redis-emitter`).
    pub uid: String,
    /// The packet's namespace (`/` when absent).
    pub nsp: String,
    pub broadcast: ClusterBroadcast,
}

/// Why a payload cannot be sent: its JSON has text `serde_json` cannot read.
pub(crate) fn payload_data(args: &Payload) -> Result<Vec<Data>, Malformed> {
    args.to_data().map_err(|e| Malformed(e.to_string()))
}

fn packet(nsp: &str, event: &str, args: Vec<Data>) -> Data {
    let mut data = Vec::with_capacity(args.len() + 1);
    data.push(Data::String(event.to_owned()));
    data.extend(args);
    Data::Object(vec![
        ("type".into(), Data::Number(EVENT.into())),
        ("data".into(), Data::Array(data)),
        ("nsp".into(), Data::String(nsp.to_owned())),
    ])
}

fn rooms(list: &[Room]) -> Data {
    Data::Array(list.iter().map(|r| Data::String(r.to_string())).collect())
}

fn opts(selector: &Selector, flags: Vec<(String, Data)>) -> Data {
    Data::Object(vec![
        ("rooms".into(), rooms(&selector.rooms)),
        ("except".into(), rooms(&selector.except)),
        ("flags".into(), Data::Object(flags)),
    ])
}

fn flags(b: &ClusterBroadcast, timeout: Option<Duration>) -> Vec<(String, Data)> {
    let mut flags = Vec::new();
    if b.volatile {
        flags.push(("volatile".into(), Data::Bool(true)));
    }
    if let Some(t) = timeout {
        let ms = u64::try_from(t.as_millis()).unwrap_or(u64::MAX);
        flags.push(("timeout".into(), Data::Number(ms.into())));
    }
    flags
}

/// `[uid, packet, opts]` in MessagePack.
pub(crate) fn encode_broadcast(
    uid: &str,
    nsp: &str,
    b: &ClusterBroadcast,
) -> Result<Vec<u8>, Malformed> {
    let args = payload_data(&b.args)?;
    Ok(msgpack::encode(&Data::Array(vec![
        Data::String(uid.to_owned()),
        packet(nsp, &b.event, args),
        opts(&b.selector, flags(b, None)),
    ])))
}

pub(crate) fn decode_broadcast(bytes: &[u8]) -> Result<BroadcastMessage, Malformed> {
    let Data::Array(items) = msgpack::decode(bytes)? else {
        return Err(Malformed("a broadcast is not an array".into()));
    };
    let mut items = items.into_iter();
    let (Some(uid), Some(packet), opts) = (items.next(), items.next(), items.next()) else {
        return Err(Malformed("a broadcast has fewer than 2 elements".into()));
    };
    let uid = match uid {
        Data::String(s) => s,
        _ => String::new(),
    };
    let (nsp, event, args) = read_packet(packet)?;
    let opts = opts.unwrap_or(Data::Null);
    let volatile = matches!(
        field(&opts, "flags").and_then(|f| field(f, "volatile")),
        Some(Data::Bool(true))
    );
    Ok(BroadcastMessage {
        uid,
        nsp,
        broadcast: ClusterBroadcast {
            selector: read_selector(&opts),
            volatile,
            event,
            args,
        },
    })
}

/// `(nsp, event, args)` of an EVENT packet object.
fn read_packet(packet: Data) -> Result<(String, String, Payload), Malformed> {
    let ty = field(&packet, "type").and_then(as_u64);
    if ty != Some(EVENT) && ty != Some(BINARY_EVENT) {
        return Err(Malformed(format!("packet type {ty:?} is not an event")));
    }
    let nsp = field(&packet, "nsp")
        .and_then(as_str)
        .unwrap_or("/")
        .to_owned();
    let Data::Object(fields) = packet else {
        return Err(Malformed("the packet is not an object".into()));
    };
    let Some(Data::Array(data)) = fields
        .into_iter()
        .find(|(k, _)| k == "data")
        .map(|(_, v)| v)
    else {
        return Err(Malformed("the packet has no data array".into()));
    };
    let mut data = data.into_iter();
    let Some(Data::String(event)) = data.next() else {
        return Err(Malformed("the packet's event name is not a string".into()));
    };
    let args: Vec<Data> = data.collect();
    Ok((nsp, event, Payload::from_data(&args)))
}

fn read_selector(opts: &Data) -> Selector {
    Selector {
        rooms: room_list(field(opts, "rooms")),
        except: room_list(field(opts, "except")),
    }
}

/// A list of rooms; numbers are rooms too (JavaScript allows them).
fn room_list(list: Option<&Data>) -> Vec<Room> {
    let Some(Data::Array(items)) = list else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|d| match d {
            Data::String(s) => Some(Room::from(s.as_str())),
            Data::Number(n) => Some(Room::from(n.to_string().as_str())),
            _ => None,
        })
        .collect()
}

pub(crate) fn field<'a>(data: &'a Data, key: &str) -> Option<&'a Data> {
    match data {
        Data::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

fn as_str(data: &Data) -> Option<&str> {
    match data {
        Data::String(s) => Some(s),
        _ => None,
    }
}

fn as_u64(data: &Data) -> Option<u64> {
    match data {
        Data::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// A request's or response's `requestId` (uid2 strings; numbers accepted).
fn request_id(data: &Data) -> Option<String> {
    match field(data, "requestId")? {
        Data::String(s) => Some(s.clone()),
        Data::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// JSON or MessagePack, by the first byte, as the Node adapter decides.
fn decode_any(bytes: &[u8]) -> Result<Data, Malformed> {
    if bytes.first() == Some(&b'{') {
        serde_json::from_slice(bytes).map_err(|e| Malformed(e.to_string()))
    } else {
        msgpack::decode(bytes)
    }
}

/// A tree as JSON; binary becomes what Node's `JSON.stringify` makes of a Buffer.
pub(crate) fn to_json(data: Data) -> Value {
    match data {
        Data::Null => Value::Null,
        Data::Bool(b) => Value::Bool(b),
        Data::Number(n) => Value::Number(n),
        Data::String(s) => Value::String(s),
        Data::Array(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Data::Object(fields) => {
            Value::Object(fields.into_iter().map(|(k, v)| (k, to_json(v))).collect())
        }
        Data::Binary(b) => json!({"type": "Buffer", "data": b.to_vec()}),
        _ => Value::Null,
    }
}

/// A request from another node (or an emitter).
#[derive(Debug, PartialEq)]
pub(crate) enum Request {
    /// Type 0: the ids of the sockets in `rooms`.
    Sockets {
        request_id: String,
        rooms: Vec<Room>,
    },
    /// Type 1: the rooms of the node.
    AllRooms { request_id: String },
    /// Types 2, 3, 4: join, leave, disconnect; `request_id` is set in the one-socket form
    /// (`sid`), which expects an answer.
    Apply {
        selector: Selector,
        op: ClusterOp,
        request_id: Option<String>,
    },
    /// Type 5: the sockets `selector` reaches.
    Fetch {
        request_id: String,
        selector: Selector,
    },
    /// Type 6: `data` is `[event, args...]`; with a `request_id` an answer is expected.
    ServerSideEmit {
        request_id: Option<String>,
        data: Vec<Value>,
    },
    /// Type 7: a broadcast whose clients' acknowledgements are to be sent back.
    Broadcast {
        request_id: String,
        nsp: String,
        broadcast: ClusterBroadcast,
        timeout: Option<Duration>,
    },
}

/// The sending node's uid (absent for an emitter) and the request.
pub(crate) fn decode_request(bytes: &[u8]) -> Result<(Option<String>, Request), Malformed> {
    let msg = decode_any(bytes)?;
    let uid = field(&msg, "uid").and_then(as_str).map(str::to_owned);
    let ty = field(&msg, "type")
        .and_then(as_u64)
        .ok_or_else(|| Malformed("a request without a numeric type".into()))?;
    let id = request_id(&msg);
    let need_id = |id: Option<String>| {
        id.ok_or_else(|| Malformed(format!("request {ty} without a requestId")))
    };
    let request = match ty {
        kind::SOCKETS => Request::Sockets {
            request_id: need_id(id)?,
            rooms: room_list(field(&msg, "rooms")),
        },
        kind::ALL_ROOMS => Request::AllRooms {
            request_id: need_id(id)?,
        },
        kind::REMOTE_JOIN | kind::REMOTE_LEAVE | kind::REMOTE_DISCONNECT => {
            let (selector, request_id) = match field(&msg, "opts") {
                Some(opts) => (read_selector(opts), None),
                None => {
                    let sid = field(&msg, "sid").and_then(as_str).ok_or_else(|| {
                        Malformed("a remote operation without opts or sid".into())
                    })?;
                    let selector = Selector {
                        rooms: vec![Room::from(sid)],
                        except: Vec::new(),
                    };
                    (selector, id)
                }
            };
            let rooms = match field(&msg, "rooms") {
                Some(list) => room_list(Some(list)),
                None => room_list(Some(&Data::Array(
                    field(&msg, "room").cloned().into_iter().collect(),
                ))),
            };
            let op = match ty {
                kind::REMOTE_JOIN => ClusterOp::Join(rooms),
                kind::REMOTE_LEAVE => ClusterOp::Leave(rooms),
                _ => ClusterOp::Disconnect {
                    close: matches!(field(&msg, "close"), Some(Data::Bool(true))),
                },
            };
            Request::Apply {
                selector,
                op,
                request_id,
            }
        }
        kind::REMOTE_FETCH => Request::Fetch {
            request_id: need_id(id)?,
            selector: field(&msg, "opts").map(read_selector).unwrap_or_default(),
        },
        kind::SERVER_SIDE_EMIT => {
            let Some(Data::Array(data)) = field(&msg, "data").cloned() else {
                return Err(Malformed("a server-side emit without a data array".into()));
            };
            Request::ServerSideEmit {
                request_id: id,
                data: data.into_iter().map(to_json).collect(),
            }
        }
        kind::BROADCAST => {
            let request_id = need_id(id)?;
            let opts = field(&msg, "opts").cloned().unwrap_or(Data::Null);
            let flags = field(&opts, "flags");
            let timeout = flags
                .and_then(|f| field(f, "timeout"))
                .and_then(as_u64)
                .map(Duration::from_millis);
            let volatile = matches!(
                flags.and_then(|f| field(f, "volatile")),
                Some(Data::Bool(true))
            );
            let Data::Object(fields) = msg else {
                return Err(Malformed("a request is not an object".into()));
            };
            let packet = fields
                .into_iter()
                .find(|(k, _)| k == "packet")
                .map(|(_, v)| v)
                .ok_or_else(|| Malformed("a broadcast request without a packet".into()))?;
            let (nsp, event, args) = read_packet(packet)?;
            Request::Broadcast {
                request_id,
                nsp,
                broadcast: ClusterBroadcast {
                    selector: read_selector(&opts),
                    volatile,
                    event,
                    args,
                },
                timeout,
            }
        }
        other => return Err(Malformed(format!("unknown request type {other}"))),
    };
    Ok((uid, request))
}

fn selector_json(selector: &Selector) -> Value {
    json!({
        "rooms": selector.rooms.iter().map(|r| r.as_ref()).collect::<Vec<&str>>(),
        "except": selector.except.iter().map(|r| r.as_ref()).collect::<Vec<&str>>(),
    })
}

/// Type 5, JSON.
pub(crate) fn fetch_request(uid: &str, request_id: &str, selector: &Selector) -> Vec<u8> {
    json!({
        "uid": uid,
        "requestId": request_id,
        "type": kind::REMOTE_FETCH,
        "opts": selector_json(selector),
    })
    .to_string()
    .into_bytes()
}

/// Types 2, 3, 4 (the `opts` form), JSON.
pub(crate) fn apply_request(uid: &str, selector: &Selector, op: &ClusterOp) -> Vec<u8> {
    let mut msg = json!({"uid": uid, "opts": selector_json(selector)});
    let rooms_json =
        |rooms: &[Room]| Value::from(rooms.iter().map(|r| r.to_string()).collect::<Vec<_>>());
    match op {
        ClusterOp::Join(rooms) => {
            msg["type"] = kind::REMOTE_JOIN.into();
            msg["rooms"] = rooms_json(rooms);
        }
        ClusterOp::Leave(rooms) => {
            msg["type"] = kind::REMOTE_LEAVE.into();
            msg["rooms"] = rooms_json(rooms);
        }
        ClusterOp::Disconnect { close } => {
            msg["type"] = kind::REMOTE_DISCONNECT.into();
            msg["close"] = (*close).into();
        }
        _ => msg["type"] = Value::Null,
    }
    msg.to_string().into_bytes()
}

/// Type 6, JSON; with a request id the other nodes answer.
pub(crate) fn server_side_emit_request(
    uid: &str,
    request_id: Option<&str>,
    data: &[Value],
) -> Vec<u8> {
    let mut msg = json!({"uid": uid, "type": kind::SERVER_SIDE_EMIT, "data": data});
    if let Some(id) = request_id {
        msg["requestId"] = id.into();
    }
    msg.to_string().into_bytes()
}

/// Type 7, MessagePack.
pub(crate) fn broadcast_request(
    uid: &str,
    request_id: &str,
    nsp: &str,
    b: &ClusterBroadcast,
    timeout: Duration,
) -> Result<Vec<u8>, Malformed> {
    let args = payload_data(&b.args)?;
    Ok(msgpack::encode(&Data::Object(vec![
        ("uid".into(), Data::String(uid.to_owned())),
        ("requestId".into(), Data::String(request_id.to_owned())),
        ("type".into(), Data::Number(kind::BROADCAST.into())),
        ("packet".into(), packet(nsp, &b.event, args)),
        ("opts".into(), opts(&b.selector, flags(b, Some(timeout)))),
    ])))
}

/// A response from another node.
#[derive(Debug, PartialEq)]
pub(crate) enum Response {
    /// To types 0 and 5: socket ids, or socket objects.
    Sockets {
        request_id: String,
        sockets: Vec<Data>,
    },
    /// To type 1.
    Rooms { request_id: String },
    /// To a one-socket operation.
    Done { request_id: String },
    /// To type 6: one node's answer.
    ServerSideEmit { request_id: String, answer: Value },
    /// To type 7: how many clients a node asked.
    ClientCount { request_id: String, count: u64 },
    /// To type 7: one client's acknowledgement (its first argument; none if it had none).
    Ack {
        request_id: String,
        arg: Option<Data>,
    },
}

pub(crate) fn decode_response(bytes: &[u8]) -> Result<Response, Malformed> {
    let msg = decode_any(bytes)?;
    let request_id =
        request_id(&msg).ok_or_else(|| Malformed("a response without a requestId".into()))?;
    let ty = field(&msg, "type").and_then(as_u64);
    Ok(match ty {
        Some(kind::BROADCAST_CLIENT_COUNT) => Response::ClientCount {
            request_id,
            count: field(&msg, "clientCount").and_then(as_u64).unwrap_or(0),
        },
        Some(kind::BROADCAST_ACK) => Response::Ack {
            request_id,
            arg: field(&msg, "packet").cloned(),
        },
        Some(kind::SERVER_SIDE_EMIT) => Response::ServerSideEmit {
            request_id,
            answer: field(&msg, "data").cloned().map_or(Value::Null, to_json),
        },
        _ => match (field(&msg, "sockets"), field(&msg, "rooms")) {
            (Some(Data::Array(sockets)), _) => Response::Sockets {
                request_id,
                sockets: sockets.clone(),
            },
            (_, Some(_)) => Response::Rooms { request_id },
            _ => Response::Done { request_id },
        },
    })
}

/// A socket object of a type 5 response.
pub(crate) fn read_socket(data: Data) -> Option<SocketInfo> {
    let id = field(&data, "id").and_then(as_str)?.to_owned();
    let rooms = room_list(field(&data, "rooms"));
    let handshake = field(&data, "handshake")
        .cloned()
        .map_or(Value::Null, to_json);
    let data = field(&data, "data").cloned().map_or(Value::Null, to_json);
    Some(SocketInfo {
        id,
        rooms,
        handshake,
        data,
    })
}

/// Answer to type 0.
pub(crate) fn sockets_response(request_id: &str, ids: Vec<String>) -> Vec<u8> {
    json!({"requestId": request_id, "sockets": ids})
        .to_string()
        .into_bytes()
}

/// Answer to type 1.
pub(crate) fn rooms_response(request_id: &str, rooms: &[Room]) -> Vec<u8> {
    let rooms: Vec<&str> = rooms.iter().map(|r| r.as_ref()).collect();
    json!({"requestId": request_id, "rooms": rooms})
        .to_string()
        .into_bytes()
}

/// Answer to a one-socket operation.
pub(crate) fn done_response(request_id: &str) -> Vec<u8> {
    json!({"requestId": request_id}).to_string().into_bytes()
}

/// Answer to type 5.
pub(crate) fn fetch_response(request_id: &str, sockets: Vec<SocketInfo>) -> Vec<u8> {
    let sockets: Vec<Value> = sockets
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id,
                "handshake": s.handshake,
                "rooms": s.rooms.iter().map(|r| r.as_ref()).collect::<Vec<&str>>(),
                "data": s.data,
            })
        })
        .collect();
    json!({"requestId": request_id, "sockets": sockets})
        .to_string()
        .into_bytes()
}

/// Answer to type 6.
pub(crate) fn server_side_emit_response(request_id: &str, answer: Value) -> Vec<u8> {
    json!({"type": kind::SERVER_SIDE_EMIT, "requestId": request_id, "data": answer})
        .to_string()
        .into_bytes()
}

/// Answer to type 7: the number of clients asked (JSON, as Node writes it).
pub(crate) fn client_count_response(request_id: &str, count: usize) -> Vec<u8> {
    json!({"type": kind::BROADCAST_CLIENT_COUNT, "requestId": request_id, "clientCount": count})
        .to_string()
        .into_bytes()
}

/// Answer to type 7: one client's acknowledgement (MessagePack; its first argument only, as
/// Node carries it).
pub(crate) fn ack_response(request_id: &str, ack: &Payload) -> Vec<u8> {
    let mut fields = vec![
        ("type".into(), Data::Number(kind::BROADCAST_ACK.into())),
        ("requestId".into(), Data::String(request_id.to_owned())),
    ];
    if let Some(first) = ack.to_data().ok().and_then(|d| d.into_iter().next()) {
        fields.push(("packet".into(), first));
    }
    msgpack::encode(&Data::Object(fields))
}

/// The payload of one remote acknowledgement.
pub(crate) fn ack_payload(arg: Option<Data>) -> Payload {
    match arg {
        Some(arg) => Payload::from_data(&[arg]),
        None => Payload::empty(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn channel_names_are_the_node_adapters() {
        let c = Channels::new("socket.io", "/chat", "abc123");
        assert_eq!(c.broadcast, "socket.io#/chat#");
        assert_eq!(c.pattern, "socket.io#/chat#*");
        assert_eq!(c.request, "socket.io-request#/chat#");
        assert_eq!(c.response, "socket.io-response#/chat#");
        assert_eq!(c.own_response, "socket.io-response#/chat#abc123#");
        let one = Selector {
            rooms: vec![Room::from("r1")],
            except: vec![],
        };
        assert_eq!(c.broadcast_for(&one), "socket.io#/chat#r1#");
        assert_eq!(c.broadcast_for(&Selector::default()), "socket.io#/chat#");
        assert_eq!(
            c.response_to(Some("xyz"), true),
            "socket.io-response#/chat#xyz#"
        );
        assert_eq!(
            c.response_to(Some("xyz"), false),
            "socket.io-response#/chat#"
        );
    }

    #[test]
    fn a_broadcast_is_uid_packet_opts_and_reads_back() {
        let b = ClusterBroadcast {
            selector: Selector {
                rooms: vec![Room::from("r")],
                except: vec![Room::from("x")],
            },
            volatile: true,
            event: "ev".into(),
            args: Payload::from_data(&[Data::Binary(bytes::Bytes::from_static(&[7]))]),
        };
        let bytes = encode_broadcast("uid1", "/", &b).unwrap();
        // fixarray(3), "uid1", fixmap(3) "type" 2 ...
        assert_eq!(&bytes[..7], &[0x93, 0xa4, b'u', b'i', b'd', b'1', 0x83]);
        let tree = msgpack::decode(&bytes).unwrap();
        let Data::Array(items) = &tree else { panic!() };
        assert_eq!(field(&items[1], "type"), Some(&Data::Number(2u64.into())));
        assert_eq!(field(&items[1], "nsp"), Some(&Data::String("/".into())));
        let flags = field(&items[2], "flags").unwrap();
        assert_eq!(field(flags, "volatile"), Some(&Data::Bool(true)));
        let back = decode_broadcast(&bytes).unwrap();
        assert_eq!(back.uid, "uid1");
        assert_eq!(back.nsp, "/");
        assert_eq!(back.broadcast, b);
    }

    #[test]
    fn node_requests_decode() {
        let fetch =
            br#"{"uid":"n1","requestId":"q1","type":5,"opts":{"rooms":["a"],"except":["b"]}}"#;
        assert_eq!(
            decode_request(fetch).unwrap(),
            (
                Some("n1".into()),
                Request::Fetch {
                    request_id: "q1".into(),
                    selector: Selector {
                        rooms: vec![Room::from("a")],
                        except: vec![Room::from("b")]
                    }
                }
            )
        );
        // the emitter's form: no uid
        let join = br#"{"type":2,"opts":{"rooms":[],"except":[]},"rooms":["j"]}"#;
        assert_eq!(
            decode_request(join).unwrap(),
            (
                None,
                Request::Apply {
                    selector: Selector::default(),
                    op: ClusterOp::Join(vec![Room::from("j")]),
                    request_id: None
                }
            )
        );
        let disconnect = br#"{"type":4,"opts":{"rooms":["s1"],"except":[]},"close":true}"#;
        assert!(matches!(
            decode_request(disconnect).unwrap().1,
            Request::Apply {
                op: ClusterOp::Disconnect { close: true },
                ..
            }
        ));
        let sse = br#"{"uid":"n1","type":6,"data":["hello",1],"requestId":"z"}"#;
        assert_eq!(
            decode_request(sse).unwrap().1,
            Request::ServerSideEmit {
                request_id: Some("z".into()),
                data: vec![json!("hello"), json!(1)]
            }
        );
        // type 7 is MessagePack, as we write it
        let b = ClusterBroadcast {
            selector: Selector::default(),
            volatile: false,
            event: "ask".into(),
            args: Payload::from_data(&[Data::String("q".into())]),
        };
        let req = broadcast_request("me", "id7", "/", &b, Duration::from_millis(1500)).unwrap();
        assert_eq!(
            decode_request(&req).unwrap(),
            (
                Some("me".into()),
                Request::Broadcast {
                    request_id: "id7".into(),
                    nsp: "/".into(),
                    broadcast: b,
                    timeout: Some(Duration::from_millis(1500))
                }
            )
        );
    }

    #[test]
    fn responses_decode_json_and_msgpack() {
        assert_eq!(
            decode_response(br#"{"type":8,"requestId":"r","clientCount":3}"#).unwrap(),
            Response::ClientCount {
                request_id: "r".into(),
                count: 3
            }
        );
        let ack = ack_response("r", &Payload::from_data(&[Data::String("yes".into())]));
        assert_eq!(ack[0], 0x83, "a MessagePack map, not JSON");
        assert_eq!(
            decode_response(&ack).unwrap(),
            Response::Ack {
                request_id: "r".into(),
                arg: Some(Data::String("yes".into()))
            }
        );
        let fetched = fetch_response(
            "f",
            vec![SocketInfo {
                id: "s".into(),
                rooms: vec![Room::from("s"), Room::from("t")],
                handshake: json!({"headers": {}}),
                data: json!({}),
            }],
        );
        let Response::Sockets { sockets, .. } = decode_response(&fetched).unwrap() else {
            panic!()
        };
        let info = read_socket(sockets[0].clone()).unwrap();
        assert_eq!(info.id, "s");
        assert_eq!(info.rooms, vec![Room::from("s"), Room::from("t")]);
    }

    #[test]
    fn junk_is_an_error_not_a_panic() {
        for junk in [
            &b""[..],
            b"{",
            b"{}",
            b"{\"type\":\"x\"}",
            b"{\"type\":99}",
            b"{\"type\":5}",
            b"{\"type\":6,\"data\":1}",
            b"\x93\xa1a\x80\x80",
            b"\x92\x01\x02",
            b"\xc1",
        ] {
            assert!(decode_request(junk).is_err(), "{junk:?}");
            let _ = decode_response(junk);
            assert!(decode_broadcast(junk).is_err(), "{junk:?}");
        }
    }
}
