using System.Buffers;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tcp;

/// <summary>
/// The raw-socket engine. Each direction waits for readability with a zero-byte receive, so an
/// idle connection holds no buffer; only then it rents one buffer of
/// <see cref="TcpProxyOptions.MaxBufferPerDirection"/> and keeps it while reads fill it, returning it
/// as soon as a read comes back short (the socket is drained). A chunk is sent completely before
/// the next read, so a slow reader stalls the writer through TCP flow control and at most one
/// buffer per direction is held.
/// </summary>
/// <remarks>
/// <see cref="Socket.ReceiveAsync(Memory{byte}, SocketFlags, CancellationToken)"/> and its send
/// counterpart return <see cref="ValueTask{TResult}"/> backed by one cached awaitable
/// <see cref="SocketAsyncEventArgs"/> per socket and operation kind, so the steady state allocates
/// nothing; a hand-written SocketAsyncEventArgs receiver (Kestrel's SocketReceiver) would buy nothing more here.
/// </remarks>
internal sealed class SocketTransport(TcpProxyOptions options, EventLoopGroup loops, ILogger logger, TimeProvider time)
    : DotNetTcpTransport(options, loops, logger, time)
{
    private readonly int _bufferSize = Math.Max(1024, options.MaxBufferPerDirection);

    public override async ValueTask RelayAsync(TcpProxyConnection connection, TransportSocket clientSocket, TransportSocket backendSocket)
    {
        var backend = backendSocket.Socket;
        var upstream = PumpAsync(connection, connection.Client, backend, RelayDirection.Upstream);
        var downstream = PumpAsync(connection, backend, connection.Client, RelayDirection.Downstream);
        await upstream.ConfigureAwait(false);
        await downstream.ConfigureAwait(false);
    }

    private async Task PumpAsync(TcpProxyConnection connection, Socket from, Socket to, RelayDirection direction)
    {
        byte[]? buffer = null;
        var sending = false;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Completes when data or end-of-stream is there; holds no buffer meanwhile.
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(_bufferSize);
                }

                var read = await from.ReceiveAsync(buffer.AsMemory(0, _bufferSize), SocketFlags.None).ConfigureAwait(false);
                connection.Touch();
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                    sending = true;
                    if (!connection.DirectionCompleted())
                    {
                        // Half-close: the other direction goes on. When it has ended already,
                        // closing the sockets right after sends this FIN, one syscall fewer.
                        to.Shutdown(SocketShutdown.Send);
                    }

                    return;
                }

                connection.BufferTaken(direction, read);
                sending = true;
                for (var sent = 0; sent < read;)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None).ConfigureAwait(false);
                }

                sending = false;
                connection.BufferReleased(direction, read);
                connection.AddBytes(direction, read);
                connection.Touch();

                if (read < _bufferSize)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            connection.Abort(RelayFailure.Reason(ex, sending, direction));
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
