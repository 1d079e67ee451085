using ServiceProxy.Tcp.Splice;

namespace ServiceProxy.Tcp;

/// <summary>
/// The Linux zero-copy relay: each connection is handed to a process-wide epoll thread that moves
/// bytes socket → pipe → socket with splice(2), so payload never enters user space. A direction
/// holds a pipe of <see cref="TcpProxyOptions.MaxBufferPerDirection"/> only while bytes move
/// (pipes are pooled), so an idle connection holds no buffer, only its two descriptors.
/// </summary>
internal sealed class SpliceRelay : ITcpRelay
{
    private readonly int _pipeSize;

    public SpliceRelay(TcpProxyOptions options) => _pipeSize = Math.Max(1024, options.MaxBufferPerDirection);

    /// <summary>Whether this platform can run the engine; elsewhere <see cref="RelayEngine.Splice"/> falls back to <see cref="SocketRelay"/>.</summary>
    public static bool IsSupported => Libc.IsSupported;

    public ValueTask RunAsync(TcpProxyConnection connection) => SpliceEventLoop.OfBackend(connection.Backend!).RunAsync(connection, _pipeSize);

    /// <summary>
    /// A non-blocking connect watched by a splice loop, so .NET's socket engine never sees the
    /// socket; the loop also enforces the timeout, so a dial needs no timer or token source.
    /// </summary>
    public ValueTask ConnectAsync(System.Net.Sockets.Socket socket, System.Net.IPEndPoint endpoint, TimeSpan timeout, CancellationToken cancellationToken) =>
        SpliceConnect.StartAsync(SpliceEventLoop.ForConnect(socket), socket, endpoint, timeout, cancellationToken);
}
