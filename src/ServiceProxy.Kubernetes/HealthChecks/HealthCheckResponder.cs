using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace ServiceProxy.Kubernetes.HealthChecks;

/// <summary>
/// The whole HTTP/1.1 conversation of a health-check node port, written by hand: read one request
/// head (any method, any path, at most <see cref="MaxRequestHead"/> bytes, within
/// <see cref="ReadTimeout"/>), answer 200 or 503 with kube-proxy's JSON body, close. Hand-written
/// because this package is the data plane's neighbour, not a web application: taking ASP.NET Core
/// (Kestrel) here would put a web server in every library user's process for a probe that needs one
/// fixed answer; cloud load balancers ask nothing more of kube-proxy's server either.
/// </summary>
internal static class HealthCheckResponder
{
    /// <summary>The largest request head read; a longer one is answered 431 and closed.</summary>
    public const int MaxRequestHead = 4096;

    /// <summary>How long a client may take to send its request head.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private const int MaxDrain = 64 * 1024;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(1);

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>Reads one request from <paramref name="client"/>, answers from <paramref name="state"/>, and closes.</summary>
    public static async Task RespondAsync(Socket client, Func<HealthCheckState> state, CancellationToken cancellationToken)
    {
        using (client)
        {
            var buffer = new byte[MaxRequestHead];
            var received = 0;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ReadTimeout);
            try
            {
                while (buffer.AsSpan(0, received).IndexOf(HeadEnd) < 0)
                {
                    if (received == buffer.Length)
                    {
                        await SendAsync(client, Status(431, "Request Header Fields Too Large", "text/plain", "request head too large\n", null), cancellationToken).ConfigureAwait(false);
                        await CloseGracefullyAsync(client, buffer, cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    var read = await client.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }

                    received += read;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await SendAsync(client, Response(state()), cancellationToken).ConfigureAwait(false);
            await CloseGracefullyAsync(client, buffer, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the answer with a FIN and reads what the client still sends (at most
    /// <see cref="MaxDrain"/> bytes, for at most <see cref="DrainTimeout"/>): closing with unread
    /// bytes would reset the connection and could discard the answer before the client reads it.
    /// </summary>
    private static async Task CloseGracefullyAsync(Socket client, byte[] buffer, CancellationToken cancellationToken)
    {
        client.Shutdown(SocketShutdown.Send);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DrainTimeout);
        var drained = 0;
        try
        {
            int read;
            while (drained < MaxDrain && (read = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false)) > 0)
            {
                drained += read;
            }
        }
        catch (OperationCanceledException)
        {
            // A client that neither closes nor stops sending is cut off here.
        }
    }

    /// <summary>kube-proxy's answer: 200 with local endpoints, else 503; the count also in <c>X-Load-Balancing-Endpoints</c>.</summary>
    public static byte[] Response(HealthCheckState state)
    {
        var body = string.Create(CultureInfo.InvariantCulture,
            $"{{\n\t\"service\": {{\n\t\t\"namespace\": {Quote(state.Namespace)},\n\t\t\"name\": {Quote(state.Name)}\n\t}},\n\t\"localEndpoints\": {state.LocalEndpoints}\n}}");
        return state.LocalEndpoints > 0
            ? Status(200, "OK", "application/json", body, state.LocalEndpoints)
            : Status(503, "Service Unavailable", "application/json", body, state.LocalEndpoints);
    }

    private static byte[] Status(int code, string reason, string contentType, string body, int? endpoints)
    {
        var head = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {code} {reason}\r\n")
            .Append(CultureInfo.InvariantCulture, $"Content-Type: {contentType}\r\n")
            .Append("X-Content-Type-Options: nosniff\r\n");
        if (endpoints is { } count)
        {
            head.Append(CultureInfo.InvariantCulture, $"X-Load-Balancing-Endpoints: {count}\r\n");
        }

        var bodyBytes = Encoding.UTF8.GetBytes(body);
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {bodyBytes.Length}\r\nConnection: close\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. bodyBytes];
    }

    private static async Task SendAsync(Socket client, byte[] response, CancellationToken cancellationToken)
    {
        var sent = 0;
        while (sent < response.Length)
        {
            sent += await client.SendAsync(response.AsMemory(sent), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
    }

    // Namespaces and names are DNS labels, so nothing in them needs more than JSON's plain quoting.
    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}

/// <summary>What a health-check node port reports: the Service and how many ready endpoints it has on this node.</summary>
internal sealed record HealthCheckState(string Namespace, string Name, int LocalEndpoints);
