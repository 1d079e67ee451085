using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.FunctionalTests.Dns;

/// <summary>
/// An upstream resolver on 127.0.0.1 that answers every A query with <see cref="Address"/>, except
/// names beginning with <c>slow.</c>, which it never answers (a dead upstream).
/// </summary>
internal sealed class FakeUpstream : IDisposable
{
    public static readonly IPAddress Address = IPAddress.Parse("192.0.2.55");

    private readonly Socket _socket;
    private readonly Task _loop;
    private int _queries;

    private FakeUpstream()
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _loop = Task.Run(ServeAsync);
    }

    public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    public int Queries => Volatile.Read(ref _queries);

    public static FakeUpstream Start() => new();

    public void Dispose()
    {
        _socket.Dispose();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task ServeAsync()
    {
        var buffer = new byte[65535];
        while (true)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _queries);
            var query = buffer.AsSpan(0, received.ReceivedBytes);
            var questionEnd = 12;
            while (questionEnd < query.Length && query[questionEnd] != 0)
            {
                questionEnd += query[questionEnd] + 1;
            }

            questionEnd += 5;
            if (questionEnd > query.Length || query[12] == 4 && query.Slice(13, 4).SequenceEqual("slow"u8))
            {
                continue;
            }

            var answer = new byte[questionEnd + 16];
            query[..questionEnd].CopyTo(answer);
            answer[2] = 0x81;
            answer[3] = 0x80;
            answer[7] = 1; // one answer
            answer[9] = 0;
            answer[11] = 0; // no additional (the client's OPT is not echoed)
            byte[] record = [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, .. Address.GetAddressBytes()];
            record.CopyTo(answer, questionEnd);
            try
            {
                await _socket.SendToAsync(answer, received.RemoteEndPoint);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
        }
    }
}
