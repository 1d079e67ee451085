using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ServiceProxy.Host.Following;

/// <summary>
/// What the follower needs of every response of the remote API. Bounds: a watch event (one line of a
/// <c>watch=true</c> body) or a whole other response longer than the limit fails the request with
/// <see cref="IOException"/>, so a broken or hostile server cannot make the node buffer without end.
/// And the moment a watch is open: the client hands a watch's response over only with its first line,
/// which a quiet API sends as late as its first bookmark; <see cref="WatchOpened"/> hears of the headers.
/// And a watch asks for a connection of its own (<c>Connection: close</c>). Any other response is read
/// to its end before the client sees it, and what follows runs on the thread pool: the client must
/// not block the socket engine's thread (<see cref="SocketEngineTuning"/>). At Debug level each request
/// is logged when sent, when its headers arrive and when its body ends, as client-go logs at <c>-v=6</c>.
/// </summary>
internal sealed partial class RemoteApiResponses(int maxBytes, ILogger? logger = null) : DelegatingHandler
{
    private readonly ILogger _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>Called, in the flow that sends a watch request, when its successful response headers arrive.</summary>
    public static readonly AsyncLocal<Action?> WatchOpened = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var watch = request.RequestUri?.Query.Contains("watch=true", StringComparison.OrdinalIgnoreCase) == true;
        if (watch)
        {
            // A watch's connection is never reused. The client's event reader starts its next read before it
            // sees the watch ended (an ERROR event, a cancellation) and leaves that read running; on a pooled
            // HTTP/1.1 connection it would take the next request's response, and that request would wait for ever.
            request.Headers.ConnectionClose = true;
        }

        var path = request.RequestUri?.PathAndQuery ?? string.Empty;
        var started = Stopwatch.GetTimestamp();
        LogSending(request.Method.Method, path);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogNoAnswer(request.Method.Method, path, Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.Message);
            throw;
        }

        LogAnswered(request.Method.Method, path, (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (watch && response.IsSuccessStatusCode)
        {
            WatchOpened.Value?.Invoke();
        }

        var original = response.Content;
        var body = new LimitedStream(await original.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), maxBytes, watch,
            bytes => LogBodyEnded(request.Method.Method, path, bytes, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        HttpContent content;
        if (watch)
        {
            content = new StreamContent(body);
        }
        else
        {
            // KubernetesClient reads a list (and a refusal's Status) from the response stream synchronously. svcproxy
            // runs socket continuations on the socket engine's own thread (SocketEngineTuning), and a blocking read
            // there waits for that same thread to see the rest of the body arrive: every .NET socket of the process,
            // the admin API's too, would stop. So the body is read to its end here, asynchronously and within the
            // list's timeout, and the client reads it from memory.
            var buffered = new MemoryStream();
            try
            {
                await body.CopyToAsync(buffered, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();
                throw;
            }

            content = new ByteArrayContent(buffered.GetBuffer(), 0, (int)buffered.Length);
        }

        foreach (var (name, values) in original.Headers)
        {
            content.Headers.TryAddWithoutValidation(name, values);
        }

        response.Content = content;

        // What the client and the follower do with the answer (parse it, apply it to the registry) is theirs to
        // run on the thread pool, not on the socket engine's thread, where it would hold up every socket.
        await LeaveSocketThread();
        return response;
    }

    /// <summary>Continues on the thread pool, whatever thread completed the last await.</summary>
    private static ConfiguredTaskAwaitable LeaveSocketThread() => Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);

    [LoggerMessage(EventId = 556, Level = LogLevel.Debug, Message = "remote API: {Method} {Path}")]
    private partial void LogSending(string method, string path);

    [LoggerMessage(EventId = 557, Level = LogLevel.Debug, Message = "remote API: {Method} {Path}: {Status} after {ElapsedMs:0} ms")]
    private partial void LogAnswered(string method, string path, int status, double elapsedMs);

    [LoggerMessage(EventId = 558, Level = LogLevel.Debug, Message = "remote API: {Method} {Path}: no answer after {ElapsedMs:0} ms ({Reason})")]
    private partial void LogNoAnswer(string method, string path, double elapsedMs, string reason);

    [LoggerMessage(EventId = 559, Level = LogLevel.Debug, Message = "remote API: {Method} {Path}: body of {Bytes} bytes ended after {ElapsedMs:0} ms")]
    private partial void LogBodyEnded(string method, string path, long bytes, double elapsedMs);

    /// <summary>Counts bytes since the last newline (<paramref name="perLine"/>) or since the start, and fails past the limit.</summary>
    private sealed class LimitedStream(Stream inner, int maxBytes, bool perLine, Action<long> ended) : Stream
    {
        private long _count;
        private long _total;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, inner.Read(buffer, offset, count)), count);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (perLine)
            {
                // A watch event is applied by the reader's continuation: not on the socket engine's thread.
                await LeaveSocketThread();
            }

            return Count(buffer.Span[..read], buffer.Length);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Count(ReadOnlySpan<byte> read, int asked)
        {
            _total += read.Length;
            if (read.IsEmpty && asked > 0)
            {
                ended(_total);
            }

            var newline = perLine ? read.LastIndexOf((byte)'\n') : -1;
            _count = newline >= 0 ? read.Length - newline - 1 : _count + read.Length;
            if (_count > maxBytes)
            {
                throw new IOException(perLine
                    ? $"a watch event from the remote API is longer than {maxBytes} bytes"
                    : $"a response from the remote API is longer than {maxBytes} bytes");
            }

            return read.Length;
        }
    }
}
