//! The sync protocol's wire format: one length-prefixed frame per request and per response.
//!
//! A frame is a 4-byte big-endian length followed by that many bytes. What the bytes mean is the
//! node's business; this codec only guarantees that no frame over the cap is read, and that a
//! buffer is never sized from a length the peer declared.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::{request_response, StreamProtocol};

/// Protocol name of the sync request-response protocol. Private, so circle nodes never talk sync
/// with unrelated libp2p nodes.
pub(crate) const SYNC_PROTOCOL: StreamProtocol = StreamProtocol::new("/circle-ledger/sync/1");

/// Length-prefixed frames with separate caps for requests and responses: responses carry changes
/// and may be larger; requests carry heads and bloom filters and are small.
#[derive(Clone, Debug)]
pub(crate) struct SyncCodec {
    max_request: usize,
    max_response: usize,
}

impl SyncCodec {
    pub(crate) fn new(max_request: usize, max_response: usize) -> Self {
        Self {
            max_request,
            max_response,
        }
    }
}

impl request_response::Codec for SyncCodec {
    type Protocol = StreamProtocol;
    type Request = Vec<u8>;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_request).await
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        read_frame(io, self.max_response).await
    }

    async fn write_request<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        request: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &request, self.max_request).await
    }

    async fn write_response<T>(
        &mut self,
        _: &StreamProtocol,
        io: &mut T,
        response: Vec<u8>,
    ) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        write_frame(io, &response, self.max_response).await
    }
}

/// Reads one frame of at most `cap` bytes.
pub(crate) async fn read_frame<T>(io: &mut T, cap: usize) -> io::Result<Vec<u8>>
where
    T: AsyncRead + Unpin + Send,
{
    let mut header = [0u8; 4];
    io.read_exact(&mut header).await?;
    let declared = u64::from(u32::from_be_bytes(header));
    if declared > cap as u64 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame declares {declared} bytes, over the {cap}-byte cap"),
        ));
    }
    // Grow the buffer only as bytes arrive: a peer that declares a large frame and stalls costs
    // what it actually sent, and the request timeout closes the stream.
    let mut body = Vec::new();
    io.take(declared).read_to_end(&mut body).await?;
    if body.len() as u64 != declared {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("frame ended after {} of {declared} bytes", body.len()),
        ));
    }
    Ok(body)
}

/// Writes one frame, refusing to send what the peer would refuse to read.
pub(crate) async fn write_frame<T>(io: &mut T, body: &[u8], cap: usize) -> io::Result<()>
where
    T: AsyncWrite + Unpin + Send,
{
    let len = u32::try_from(body.len())
        .ok()
        .filter(|_| body.len() <= cap)
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("frame of {} bytes is over the {cap}-byte cap", body.len()),
            )
        })?;
    io.write_all(&len.to_be_bytes()).await?;
    io.write_all(body).await?;
    io.flush().await
}

#[cfg(test)]
mod tests {
    use futures::io::Cursor;

    use super::*;

    fn frame(declared: u32, body: &[u8]) -> Vec<u8> {
        let mut bytes = declared.to_be_bytes().to_vec();
        bytes.extend_from_slice(body);
        bytes
    }

    fn read(bytes: Vec<u8>, cap: usize) -> io::Result<Vec<u8>> {
        futures::executor::block_on(read_frame(&mut Cursor::new(bytes), cap))
    }

    #[test]
    fn round_trip_at_the_cap() {
        let body = vec![7u8; 100];
        let mut wire = Cursor::new(Vec::new());
        futures::executor::block_on(write_frame(&mut wire, &body, 100)).unwrap();
        assert_eq!(read(wire.into_inner(), 100).unwrap(), body);
    }

    #[test]
    fn empty_frame_is_fine() {
        assert_eq!(read(frame(0, b""), 10).unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn declared_length_over_cap_is_refused_before_reading_the_body() {
        // Only the header is present: the error must come from the declared length alone.
        let err = read(frame(u32::MAX, b""), 1024).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let err = read(frame(1025, &[0; 1025]), 1024).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn truncated_body_is_an_error() {
        let err = read(frame(1000, &[1; 10]), 1024).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn truncated_header_is_an_error() {
        let err = read(vec![0, 0], 1024).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn writing_over_the_cap_is_refused() {
        let mut wire = Cursor::new(Vec::new());
        let err = futures::executor::block_on(write_frame(&mut wire, &[0; 11], 10)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(wire.into_inner().is_empty());
    }
}
