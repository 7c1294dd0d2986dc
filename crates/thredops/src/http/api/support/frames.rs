//! Adapts a WebSocket to the chat's text-frame connection, so the support area never sees the
//! web framework's socket type.

use axum::extract::ws::{Message as Frame, WebSocket};
use futures_util::future::ready;
use futures_util::{SinkExt, StreamExt};

use crate::support::socket::{ClientFrame, IncomingFrames, Outgoing, SendError};

/// The socket as the chat's outgoing text frames and incoming client frames; the stream ends
/// at a close frame or a broken connection, and pings and pongs are left to the server.
pub fn connection(socket: WebSocket) -> (Outgoing, IncomingFrames) {
    let (sink, stream) = socket.split();
    let outgoing = sink
        .sink_map_err(|e| -> SendError { Box::new(e) })
        .with(|text: String| ready(Ok::<_, SendError>(Frame::Text(text.into()))));
    let incoming = stream
        .take_while(|frame| ready(matches!(frame, Ok(f) if !matches!(f, Frame::Close(_)))))
        .filter_map(|frame| {
            ready(match frame {
                Ok(Frame::Text(t)) => Some(ClientFrame::Text(t.to_string())),
                Ok(Frame::Binary(_)) => Some(ClientFrame::Binary),
                _ => None,
            })
        });
    (Box::pin(outgoing), Box::pin(incoming))
}
