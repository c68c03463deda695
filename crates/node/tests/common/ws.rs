//! A minimal WebSocket client over a raw TCP stream (RFC 6455: the upgrade, masked text
//! frames out, unmasked frames in), enough to send JSON-RPC and read the answers.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

pub struct Ws {
    reader: BufReader<TcpStream>,
    stream: TcpStream,
}

impl Ws {
    pub fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut s = stream.try_clone().unwrap();
        write!(
            s,
            "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        .unwrap();
        let mut status = String::new();
        reader.read_line(&mut status).unwrap();
        assert!(status.contains(" 101 "), "upgrade refused: {status}");
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
        }
        Self { reader, stream }
    }

    /// Sends one text frame.
    pub fn send(&mut self, text: &str) {
        self.send_frame(0x1, text.as_bytes());
    }

    /// Sends one final frame with this opcode (masked, as a client must).
    fn send_frame(&mut self, opcode: u8, data: &[u8]) {
        let mut frame = vec![0x80 | opcode];
        match data.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n < 65_536 => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let mask = [0x12, 0x34, 0x56, 0x78];
        frame.extend_from_slice(&mask);
        frame.extend(data.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.write_all(&frame).unwrap();
    }

    /// Reads the next text frame as JSON, answering the server's pings on the way.
    pub fn recv(&mut self) -> Value {
        loop {
            let (opcode, data) = self.recv_frame();
            match opcode {
                0x9 => self.send_frame(0xA, &data),
                0xA => {}
                0x8 => panic!("the server closed the WebSocket: {data:?}"),
                _ => {
                    return serde_json::from_slice(&data)
                        .unwrap_or_else(|e| panic!("frame {opcode:#x}: {e}"));
                }
            }
        }
    }

    /// The next frame's opcode and payload.
    fn recv_frame(&mut self) -> (u8, Vec<u8>) {
        let mut head = [0u8; 2];
        self.reader.read_exact(&mut head).unwrap();
        let len = match head[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                self.reader.read_exact(&mut b).unwrap();
                u16::from_be_bytes(b) as usize
            }
            127 => {
                let mut b = [0u8; 8];
                self.reader.read_exact(&mut b).unwrap();
                u64::from_be_bytes(b) as usize
            }
            n => n as usize,
        };
        let mut data = vec![0u8; len];
        self.reader.read_exact(&mut data).unwrap();
        (head[0] & 0x0f, data)
    }

    /// Sends a request and reads the next frame (its answer, when nothing else is streaming).
    pub fn request(&mut self, body: &Value) -> Value {
        self.send(&body.to_string());
        self.recv()
    }
}
