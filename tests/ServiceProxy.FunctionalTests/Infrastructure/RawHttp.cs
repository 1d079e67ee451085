using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>
/// One HTTP GET over a raw socket from a chosen source address, to tell a proxy that answers from
/// one that resets at accept (traffic policies, source ranges, ports without endpoints).
/// </summary>
public static class RawHttp
{
    /// <summary>Whether a GET from <paramref name="source"/> gets a response (bounded retries while the port comes up).</summary>
    public static async Task<bool> EventuallyAnswersAsync(IPEndPoint target, IPAddress source)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await ExchangeAsync(target, source) is { Length: > 0 } answer && answer.StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>Whether connections to <paramref name="target"/> end in a reset with no response (bounded retries while config propagates).</summary>
    public static async Task<bool> EventuallyRefusedAsync(IPEndPoint target, IPAddress? source = null)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await ExchangeAsync(target, source ?? IPAddress.Loopback) is null)
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>
    /// The bodies (trimmed) of <paramref name="count"/> GETs from <paramref name="source"/>, each on a new
    /// connection, retried (bounded) until <paramref name="done"/> holds for them; the last ones otherwise.
    /// A connection reset before any byte reads as "reset".
    /// </summary>
    public static async Task<List<string>> EventuallyBodiesAsync(IPEndPoint target, IPAddress source, int count, Func<List<string>, bool> done)
    {
        var bodies = new List<string>();
        for (var attempt = 0; attempt < 50; attempt++)
        {
            bodies.Clear();
            for (var i = 0; i < count; i++)
            {
                var response = await ExchangeAsync(target, source);
                bodies.Add(response is null ? "reset" : response[(response.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..].Trim());
            }

            if (done(bodies))
            {
                break;
            }

            await Task.Delay(100);
        }

        return bodies;
    }

    /// <summary>One HTTP/1.0 GET (so the body is never chunked) over a raw socket bound to <paramref name="source"/>: the response text, or null when the connection was reset or closed before any byte.</summary>
    public static async Task<string?> ExchangeAsync(IPEndPoint target, IPAddress source)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(source, 0));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ConnectAsync(target, timeout.Token);
            await socket.SendAsync("GET /hostname.html HTTP/1.0\r\nHost: x\r\n\r\n"u8.ToArray(), SocketFlags.None, timeout.Token);
            var buffer = new byte[4096];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await socket.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, timeout.Token)) > 0)
            {
                total += read;
            }

            return total == 0 ? null : Encoding.ASCII.GetString(buffer, 0, total);
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
