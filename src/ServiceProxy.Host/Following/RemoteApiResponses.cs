namespace ServiceProxy.Host.Following;

/// <summary>
/// What the follower needs of every response of the remote API. Bounds: a watch event (one line of a
/// <c>watch=true</c> body) or a whole other response longer than the limit fails the request with
/// <see cref="IOException"/>, so a broken or hostile server cannot make the node buffer without end.
/// And the moment a watch is open: the client hands a watch's response over only with its first line,
/// which a quiet API sends as late as its first bookmark; <see cref="WatchOpened"/> hears of the headers.
/// And a watch asks for a connection of its own (<c>Connection: close</c>).
/// </summary>
internal sealed class RemoteApiResponses(int maxBytes) : DelegatingHandler
{
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

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (watch && response.IsSuccessStatusCode)
        {
            WatchOpened.Value?.Invoke();
        }

        var original = response.Content;
        var limited = new StreamContent(new LimitedStream(await original.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), maxBytes, watch));
        foreach (var (name, values) in original.Headers)
        {
            limited.Headers.TryAddWithoutValidation(name, values);
        }

        response.Content = limited;
        return response;
    }

    /// <summary>Counts bytes since the last newline (<paramref name="perLine"/>) or since the start, and fails past the limit.</summary>
    private sealed class LimitedStream(Stream inner, int maxBytes, bool perLine) : Stream
    {
        private long _count;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Count(buffer.AsSpan(offset, inner.Read(buffer, offset, count)));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            return Count(buffer.Span[..read]);
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

        private int Count(ReadOnlySpan<byte> read)
        {
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
