using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// A watch client that stops reading while big objects are written: the server buffers what it
/// cannot send, and without a bound in bytes a thousand 256 KiB objects (twice that as .NET strings)
/// stay pinned per such client. The process's memory must stay bounded and the canary must keep proxying.
/// </summary>
public sealed class SlowWatchTests(ITestOutputHelper output)
{
    private const int Updates = 1000;

    /// <summary>
    /// Bounded, growth levels off near 230 MiB: the watch history's 64 MiB and one watcher's 8 MiB of
    /// JSON (about twice that as .NET strings) plus the garbage of the writes. Unbounded, it grows by
    /// about 0.65 MiB an update (330 MiB after 500) because the stalled watch keeps every event.
    /// </summary>
    private const long MaxRssGrowthBytes = 384L * 1024 * 1024;

    private static readonly TimeSpan Bounded = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_watch_that_never_reads_while_big_objects_are_written_does_not_pin_them()
    {
        await using var canary = await CanaryHost.StartAsync();
        await SendAsync(canary, HttpMethod.Post, "/api/v1/namespaces/default/services", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"big"},"spec":{"ports":[{"port":80}]}}""", "application/json");
        using var stalled = await OpenStalledWatchAsync(canary);
        var baseline = RssBytes(canary.Host.ProcessId);
        var peak = baseline;

        // Each annotation near the 256 KiB total limit, different each time so every update is a write.
        var blob = new string('v', 250 * 1024);
        using var timeout = new CancellationTokenSource(Bounded);
        for (var i = 0; i < Updates; i++)
        {
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["example.com/blob"] = blob + i.ToString(CultureInfo.InvariantCulture) } },
            };
            await SendAsync(canary, HttpMethod.Patch, "/api/v1/namespaces/default/services/big", patch.ToJsonString(), "application/merge-patch+json", timeout.Token);
            if (i % 25 == 24)
            {
                peak = Math.Max(peak, RssBytes(canary.Host.ProcessId));
                Assert.True(
                    peak - baseline < MaxRssGrowthBytes,
                    $"RSS grew from {baseline >> 20} MiB to {peak >> 20} MiB after {i + 1} updates of 250 KiB while one watch did not read");
            }
        }

        output.WriteLine($"RSS {baseline >> 20} MiB before the updates, at most {peak >> 20} MiB during them");
        await canary.AssertServingAsync();

        // Reading at last, the client gets what the sockets held, then the 410 Expired that tells it to relist.
        var last = await ReadUntilExpiredAsync(stalled);
        Assert.Contains("\"code\":410", last, StringComparison.Ordinal);
    }

    /// <summary>The watch stream's text from its ERROR event on, read within a bounded time and size.</summary>
    private static async Task<string> ReadUntilExpiredAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[64 * 1024];
        var tail = string.Empty;
        for (long total = 0; total < 256L * 1024 * 1024;)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.True(read > 0, "the watch connection closed without an ERROR event");
            total += read;
            tail = tail[Math.Max(0, tail.Length - 1024)..] + Encoding.ASCII.GetString(buffer, 0, read);
            var error = tail.IndexOf("{\"type\":\"ERROR\"", StringComparison.Ordinal);
            if (error >= 0 && tail.IndexOf('\n', error) > 0)
            {
                return tail[error..];
            }
        }

        Assert.Fail("no ERROR event in the first 256 MiB of the watch stream");
        return string.Empty;
    }

    /// <summary>
    /// A watch of every Service on a raw connection with a small receive buffer: it reads the response
    /// head, so the watch is registered, and never reads again.
    /// </summary>
    private static async Task<Socket> OpenStalledWatchAsync(CanaryHost canary)
    {
        var admin = new Uri(canary.Host.AdminUrl);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, admin.Port), timeout.Token);
            var request = $"GET /api/v1/services?watch=true HTTP/1.1\r\nHost: {admin.Authority}\r\nAccept: application/json\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, timeout.Token);
            var head = new StringBuilder();
            var buffer = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && head.Length < 4096)
            {
                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                Assert.True(read > 0, "the watch connection closed before its response head:\n" + head);
                head.Append((char)buffer[0]);
            }

            Assert.StartsWith("HTTP/1.1 200", head.ToString(), StringComparison.Ordinal);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static long RssBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kilobytes = line["VmRSS:".Length..].Trim().Split(' ')[0];
        return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task SendAsync(CanaryHost canary, HttpMethod method, string path, string body, string contentType, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Content = new StringContent(body, Encoding.UTF8);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await canary.Host.Http.SendAsync(request, cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }
}
