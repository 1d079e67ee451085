namespace ServiceProxy.Tcp;

/// <summary>TCP data-plane settings.</summary>
public sealed class TcpProxyOptions
{
    /// <summary>
    /// Connect attempts and the timeout of each (kube-proxy's ladder). Each attempt asks the
    /// balancer again; affinity is reset after the first failure. Default 250 ms, 500 ms, 1 s, 2 s.
    /// </summary>
    public IList<TimeSpan> ConnectTimeouts { get; set; } =
        [TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    /// <summary>
    /// Close a connection when no byte moves either way for this long. Default 1 hour; zero: never. On Linux a
    /// byte the kernel received counts from its arrival, even if a stalled process has not relayed it yet.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Close a half-closed connection after this long without a byte. Default 60 s.</summary>
    public TimeSpan HalfClosedTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most bytes buffered per direction of one connection. Default 64 KiB.</summary>
    public int MaxBufferPerDirection { get; set; } = 64 * 1024;

    /// <summary>TCP_NODELAY on both sides. Default true.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>SO_KEEPALIVE on both sides. Default false.</summary>
    public bool KeepAlive { get; set; }

    /// <summary>
    /// SO_SNDBUF of both sockets of a connection; null: the OS default (autotuned). Small values
    /// make backpressure tighter at the cost of throughput.
    /// </summary>
    public int? SocketSendBufferSize { get; set; }

    /// <summary>SO_RCVBUF of both sockets of a connection; null: the OS default (autotuned).</summary>
    public int? SocketReceiveBufferSize { get; set; }

    /// <summary>
    /// The <see cref="RelayEngine.Splice"/> engine: accept on the event loops
    /// (<see cref="ServiceProxyOptions.EventLoops"/>; every loop watches each listener, and the loop
    /// that accepts a client dials and relays it), so a new client crosses one thread. False accepts
    /// on .NET's socket thread, which hands each client over to a loop: one thread hop more per new
    /// connection. Default true.
    /// </summary>
    public bool AcceptOnEventLoops { get; set; } = true;

    /// <summary>Listen backlog of each listener. Default 512.</summary>
    public int Backlog { get; set; } = 512;

    /// <summary>
    /// How bytes are relayed between client and backend. Default <see cref="RelayEngine.IoUring"/>
    /// (<see cref="RelayEngine.Splice"/> where the kernel refuses io_uring, the socket engine where
    /// the event loops do not exist).
    /// </summary>
    public RelayEngine Engine { get; set; } = RelayEngine.IoUring;
}

/// <summary>The relay implementation of the TCP data plane.</summary>
public enum RelayEngine
{
    /// <summary>Raw sockets, one pooled buffer per direction rented only while data is moving.</summary>
    Socket,

    /// <summary>System.IO.Pipelines over Pipelines.Sockets.Unofficial <c>SocketConnection</c>.</summary>
    Pipelines,

    /// <summary>
    /// Linux only: splice(2) through pooled kernel pipes on dedicated epoll threads (one per core),
    /// so payload is never copied to user space. Elsewhere this is <see cref="Socket"/>.
    /// </summary>
    Splice,

    /// <summary>
    /// Linux only: the <see cref="Splice"/> engine's event loops accept and dial, and each loop
    /// relays through its own io_uring (Linux 6.1 or later): receives into buffers the kernel picks
    /// when bytes arrive and sends, batched into one <c>io_uring_enter</c> per pass of the loop, and
    /// splice(2) for bulk transfers. Where the kernel refuses io_uring (older, or
    /// <c>kernel.io_uring_disabled</c>) this is <see cref="Splice"/>. The default.
    /// </summary>
    IoUring,
}
