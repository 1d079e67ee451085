using System.Net.Sockets;

namespace ServiceProxy.Dns.Internal;

/// <summary>DNS over TCP frames each message with a two-byte length (RFC 1035 §4.2.2, RFC 7766).</summary>
internal static class DnsTcpFraming
{
    /// <summary>Fills <paramref name="buffer"/>; false when the peer closed first.</summary>
    public static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var received = await socket.ReceiveAsync(buffer[filled..], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received == 0)
            {
                return false;
            }

            filled += received;
        }

        return true;
    }
}
