using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Pipelines.Sockets.Unofficial;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tcp;

/// <summary>
/// The System.IO.Pipelines engine over Pipelines.Sockets.Unofficial <see cref="SocketConnection"/>.
/// Each direction goes through two pipes (the source's receive pipe and the target's send pipe);
/// each pipe pauses its writer at a quarter of <see cref="TcpProxyOptions.MaxBufferPerDirection"/>
/// minus one segment, so a direction holds at most the bound. Zero-length reads keep idle
/// connections from leasing receive segments.
/// </summary>
internal sealed class PipelinesTransport : DotNetTcpTransport
{
    private readonly PipeOptions _pipeOptions;

    public PipelinesTransport(TcpProxyOptions options, EventLoopGroup loops, ILogger logger, TimeProvider time)
        : base(options, loops, logger, time)
    {
        var perPipe = Math.Max(4096, options.MaxBufferPerDirection / 2);
        var segment = Math.Min(4096, perPipe / 4);
        var pause = perPipe - segment;
        _pipeOptions = new PipeOptions(
            pool: MemoryPool<byte>.Shared,
            pauseWriterThreshold: pause,
            resumeWriterThreshold: pause / 2,
            minimumSegmentSize: segment,
            useSynchronizationContext: false);
    }

    public override async ValueTask RelayAsync(TcpProxyConnection connection, TransportSocket clientSocket, TransportSocket backendSocket)
    {
        using var client = SocketConnection.Create(connection.Client, _pipeOptions, SocketConnectionOptions.ZeroLengthReads);
        using var backend = SocketConnection.Create(backendSocket.Socket, _pipeOptions, SocketConnectionOptions.ZeroLengthReads);
        var upstream = CopyAsync(connection, client.Input, backend.Output, RelayDirection.Upstream);
        var downstream = CopyAsync(connection, backend.Input, client.Output, RelayDirection.Downstream);
        await upstream.ConfigureAwait(false);
        await downstream.ConfigureAwait(false);
    }

    private static async Task CopyAsync(TcpProxyConnection connection, PipeReader input, PipeWriter output, RelayDirection direction)
    {
        // The send loop of the target shuts down its socket's send side once it has sent everything
        // and sees the pipe completed; this is the only signal of that moment the library offers.
#pragma warning disable CS0618 // OnReaderCompleted is obsolete but still raised by Pipe, which SocketConnection uses.
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        output.OnReaderCompleted(static (_, state) => ((TaskCompletionSource)state!).TrySetResult(), sent);
#pragma warning restore CS0618
        var writing = false;
        try
        {
            while (true)
            {
                writing = false;
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    connection.Touch();
                    connection.BufferTaken(direction, buffer.Length);
                    writing = true;
                    foreach (var segment in buffer)
                    {
                        output.Write(segment.Span);
                    }

                    var length = buffer.Length;
                    input.AdvanceTo(buffer.End);
                    connection.BufferReleased(direction, length);
                    connection.AddBytes(direction, length);
                    var flush = await output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted || flush.IsCanceled)
                    {
                        connection.Abort(RelayFailure.Reason(new IOException("send side closed"), onTarget: true, direction));
                        return;
                    }
                }
                else
                {
                    input.AdvanceTo(buffer.End);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            connection.Touch();
            await output.CompleteAsync().ConfigureAwait(false);
            await sent.Task.ConfigureAwait(false);
            connection.DirectionCompleted();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or ConnectionAbortedException)
        {
            connection.Abort(RelayFailure.Reason(ex, writing, direction));
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }
}
