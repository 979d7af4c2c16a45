//! A TCP proxy on 127.0.0.1 in front of a server (the tests' PostgreSQL), which a test can cut
//! and restore: how a story stops "the database" for one bot without stopping the server every
//! test shares. Cut, it drops every live connection and refuses new ones (nothing listens on
//! its port); restored, it listens on the same port again.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

#[derive(Default)]
struct Links {
    accepting: Option<JoinHandle<()>>,
    live: JoinSet<()>,
}

pub struct PgProxy {
    addr: SocketAddr,
    upstream: SocketAddr,
    links: Arc<Mutex<Links>>,
}

impl PgProxy {
    /// A proxy to `upstream` on a free port of 127.0.0.1, passing connections through.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = listen("127.0.0.1:0".parse().unwrap()).expect("a free port");
        let proxy = Self {
            addr: listener.local_addr().unwrap(),
            upstream,
            links: Arc::default(),
        };
        proxy.accept_on(listener);
        proxy
    }

    /// Where clients connect (`127.0.0.1:<port>`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Connections passing through now.
    pub fn live(&self) -> usize {
        let mut links = self.links.lock().unwrap();
        while links.live.try_join_next().is_some() {}
        links.live.len()
    }

    /// Stops listening (new connections are refused) and closes every connection passing
    /// through; returns once both are done.
    pub async fn cut(&self) {
        let (accepting, mut live) = {
            let mut links = self.links.lock().unwrap();
            (links.accepting.take(), std::mem::take(&mut links.live))
        };
        if let Some(accepting) = accepting {
            accepting.abort();
            let _ = accepting.await;
        }
        live.shutdown().await;
    }

    /// Listens again on the same port (waiting up to 5 s for the port to be free).
    pub async fn restore(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match listen(self.addr) {
                Ok(l) => break l,
                Err(e) if tokio::time::Instant::now() >= deadline => {
                    panic!("cannot listen on {} again: {e}", self.addr)
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.accept_on(listener);
    }

    fn accept_on(&self, listener: TcpListener) {
        let upstream = self.upstream;
        let links = Arc::clone(&self.links);
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                links.lock().unwrap().live.spawn(pass(client, upstream));
            }
        });
        self.links.lock().unwrap().accepting = Some(accepting);
    }
}

impl Drop for PgProxy {
    fn drop(&mut self) {
        let mut links = self.links.lock().unwrap();
        if let Some(accepting) = links.accepting.take() {
            accepting.abort();
        }
        links.live.abort_all();
    }
}

/// A listener that may take the port again at once (its old connections may linger in
/// TIME_WAIT).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

async fn pass(mut client: TcpStream, upstream: SocketAddr) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}
