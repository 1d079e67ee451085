using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>Socket helpers for tests: clients with a chosen 127.0.0.x source, exact reads, hashed transfers.</summary>
public static class Loopback
{
    public static IPAddress Address(int lastByte) => new([127, 0, 0, (byte)lastByte]);

    /// <summary>A connected client; <paramref name="source"/> (e.g. 127.0.0.7) makes clients distinct by IP.</summary>
    public static async Task<Socket> ConnectAsync(IPEndPoint target, CancellationToken cancellationToken, IPAddress? source = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (source is not null)
            {
                socket.Bind(new IPEndPoint(source, 0));
            }

            await socket.ConnectAsync(target, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task<byte[]> ReadExactlyAsync(Socket socket, int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException($"end of stream after {read} of {count} bytes");
            }

            read += n;
        }

        return buffer;
    }

    /// <summary>Reads until end of stream and returns the SHA-256 and length of what came.</summary>
    public static async Task<(byte[] Hash, long Length)> ReadToEndHashedAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                return (hash.GetHashAndReset(), total);
            }

            hash.AppendData(buffer, 0, n);
            total += n;
        }
    }

    /// <summary>Sends <paramref name="length"/> pseudo-random bytes (from <paramref name="seed"/>) and returns their SHA-256.</summary>
    public static async Task<byte[]> SendHashedAsync(Socket socket, long length, int seed, CancellationToken cancellationToken, bool shutdown = true)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var data = new PatternData(seed);
        for (long sent = 0; sent < length;)
        {
            var chunk = data.Next((int)Math.Min(PatternData.ChunkSize, length - sent));
            hash.AppendData(chunk.Span);
            await socket.SendAsync(chunk, SocketFlags.None, cancellationToken);
            sent += chunk.Length;
        }

        if (shutdown)
        {
            socket.Shutdown(SocketShutdown.Send);
        }

        return hash.GetHashAndReset();
    }

    /// <summary>Waits for the peer's reset: a receive that fails with ConnectionReset (data before it is skipped).</summary>
    public static async Task<SocketError> ReceiveUntilErrorAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) > 0)
            {
            }

            return SocketError.Success; // orderly end of stream, no reset
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
    }

    /// <summary>
    /// Connects and waits for the peer's reset. A reset that comes right after the handshake may
    /// already fail the connect itself; both count.
    /// </summary>
    public static async Task<SocketError> ConnectAndAwaitResetAsync(IPEndPoint target, CancellationToken cancellationToken)
    {
        Socket socket;
        try
        {
            socket = await ConnectAsync(target, cancellationToken);
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }

        using (socket)
        {
            return await ReceiveUntilErrorAsync(socket, cancellationToken);
        }
    }

    /// <summary>
    /// Cheap, non-repeating test data: a random 64 KiB block per seed, with a running counter
    /// stamped into each chunk, so a reordered or dropped chunk changes the hash.
    /// </summary>
    private sealed class PatternData
    {
        public const int ChunkSize = 64 * 1024;

        private readonly byte[] _block = new byte[ChunkSize];
        private long _counter;

        public PatternData(int seed) => new Random(seed).NextBytes(_block);

        public ReadOnlyMemory<byte> Next(int size)
        {
            BitConverter.TryWriteBytes(_block, ++_counter);
            return _block.AsMemory(0, size);
        }
    }
}
