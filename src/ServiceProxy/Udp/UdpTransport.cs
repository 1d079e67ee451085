using System.Net;
using System.Net.Sockets;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Udp;

/// <summary>
/// How UDP sockets are read and written, decided once: on Linux each socket is read on one of the
/// server's event loops, and written through that loop's ring when it has one and the send comes
/// from its thread (<see cref="UdpLoopReceiver.TryQueueSend"/>), else with one non-blocking
/// send/sendto (<see cref="UdpNativeSend"/>), so no UDP socket ever enters .NET's socket engine;
/// elsewhere .NET's engine does both. A listener
/// and its sessions share the listener's loop, so a round trip wakes one loop, not two.
/// </summary>
internal sealed class UdpTransport
{
    private readonly EventLoopGroup? _loops;

    /// <summary>On <paramref name="loops"/> where they run, else on .NET's socket engine.</summary>
    public UdpTransport(EventLoopGroup loops) => _loops = EventLoopGroup.IsSupported ? loops : null;

    /// <summary>The loops that read UDP sockets; null where .NET's engine does.</summary>
    public EventLoopGroup? Loops => _loops;

    /// <summary>Pinned datagram buffers for what goes through .NET's engine, shared by the server's UDP ports.</summary>
    public UdpBufferPool Buffers { get; } = new(4 * Environment.ProcessorCount + 16);

    /// <summary>Reads <paramref name="listener"/>'s socket on a loop; null where it must be read with .NET.</summary>
    public UdpLoopListener? Receive(UdpServicePortProxy port, UdpListener listener, Socket socket)
    {
        if (_loops is null)
        {
            return null;
        }

        var receiver = new UdpLoopListener(port, listener, socket, _loops.For(socket));
        return receiver.Start() ? receiver : null;
    }

    /// <summary>Reads <paramref name="session"/>'s socket on its listener's loop; null where it must be read with .NET.</summary>
    public UdpLoopSession? Receive(UdpServicePortProxy port, UdpSession session, Socket socket)
    {
        if (_loops is null)
        {
            return null;
        }

        var receiver = new UdpLoopSession(port, session, socket, session.Listener.LoopReceiver?.Loop ?? _loops.For(socket));
        return receiver.Start() ? receiver : null;
    }

    /// <summary>
    /// Sends <paramref name="datagram"/> on <paramref name="socket"/> (to <paramref name="to"/>,
    /// or its connected peer when null); the caller's buffer is free when this returns. On the
    /// thread of the loop that reads the socket through its ring (<paramref name="receiver"/>) the
    /// send goes with that loop's next submission; elsewhere it is one non-blocking send. Where the
    /// kernel's buffer is full, or there are no loops, <paramref name="viaEngine"/> sends it
    /// through .NET's engine (a copy, in the first case).
    /// </summary>
    public ValueTask<int> SendAsync<TState>(Socket socket, UdpLoopReceiver? receiver, ReadOnlyMemory<byte> datagram, SocketAddress? to, TState state, Func<TState, ReadOnlyMemory<byte>, ValueTask<int>> viaEngine)
    {
        if (_loops is null)
        {
            return viaEngine(state, datagram);
        }

        if (receiver is not null && receiver.TryQueueSend(datagram.Span, to))
        {
            return new ValueTask<int>(datagram.Length);
        }

        var sent = UdpNativeSend.TrySend(socket, datagram.Span, to);
        return sent >= 0 ? new ValueTask<int>(sent) : SendCopyAsync(datagram, state, viaEngine);
    }

    /// <summary>The kernel's send buffer is full: a pooled copy goes through .NET's engine, which waits for room.</summary>
    private async ValueTask<int> SendCopyAsync<TState>(ReadOnlyMemory<byte> datagram, TState state, Func<TState, ReadOnlyMemory<byte>, ValueTask<int>> viaEngine)
    {
        var copy = Buffers.Rent();
        try
        {
            datagram.CopyTo(copy);
            return await viaEngine(state, copy.AsMemory(0, datagram.Length)).ConfigureAwait(false);
        }
        finally
        {
            Buffers.Return(copy);
        }
    }
}
