using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tcp;

/// <summary>
/// The Linux zero-copy engine on the server's event loops: with
/// <see cref="TcpProxyOptions.AcceptOnEventLoops"/> the loop that accepts a client also dials its
/// backend (a non-blocking connect it watches itself, so .NET's socket engine never sees the
/// socket and a dial needs no timer) and relays it, moving bytes socket → pipe → socket with
/// splice(2), so payload never enters user space. A direction holds a pipe of
/// <see cref="TcpProxyOptions.MaxBufferPerDirection"/> only while bytes move (pipes are pooled),
/// so an idle connection holds no buffer, only its two descriptors. With
/// <see cref="RelayEngine.IoUring"/> the same loops accept and dial, and relay through their
/// io_uring where the kernel allows it (see <see cref="UringConnection"/>).
/// </summary>
internal sealed class SpliceTransport(TcpProxyOptions options, EventLoopGroup loops, ILogger logger, TimeProvider time) : ITcpTransport
{
    private readonly int _pipeSize = Math.Max(1024, options.MaxBufferPerDirection);
    private int _refusalLogged;

    public TcpAcceptor? Listen(IPEndPoint endPoint, ServicePortKey key, Action<TransportSocket> onAccepted, Action<int> onReset, out string? error)
    {
        var acceptor = TcpAcceptor.TryBind(endPoint, options.Backlog, key, logger, time, out error);
        acceptor?.Start(onAccepted, loops.Reserve, options.AcceptOnEventLoops ? loops : null, onReset);
        if (options.Engine == RelayEngine.IoUring)
        {
            ReportRefusedRing();
        }

        return acceptor;
    }

    /// <summary>
    /// Starts the loops if accepting did not (each sets up its ring as it starts) and says once
    /// why they relay with splice when the kernel refused io_uring.
    /// </summary>
    private void ReportRefusedRing()
    {
        _ = loops.Loops;
        if (loops.IoUringErrno is var errno and not 0 && Interlocked.Exchange(ref _refusalLogged, 1) == 0)
        {
            Log.IoUringRefused(logger, errno);
        }
    }

    /// <summary>On the loop that accepted the client, so the connection stays on one thread; else on the least busy.</summary>
    public ValueTask<TransportSocket> ConnectAsync(Socket socket, IPEndPoint endpoint, TransportSocket client, TimeSpan timeout, CancellationToken cancellationToken) =>
        SpliceConnect.StartAsync(client.Loop ?? loops.LeastBusy(), socket, endpoint, timeout, cancellationToken);

    /// <summary>On the loop that connected the backend, where its epoll registration is.</summary>
    public ValueTask RelayAsync(TcpProxyConnection connection, TransportSocket client, TransportSocket backend) =>
        (backend.Loop ?? loops.LeastBusy()).RelayAsync(connection, _pipeSize, client.NonBlocking);
}
