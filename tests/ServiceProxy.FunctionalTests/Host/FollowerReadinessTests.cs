using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>
/// A node following a remote API says ready (<c>/readyz</c>) only once its data plane proxies what it
/// listed, as kube-proxy's health check waits for its first sync: a load balancer that sends traffic
/// the moment the node is ready must find every Service's listener bound.
/// </summary>
public sealed class FollowerReadinessTests : IDisposable
{
    private const int Count = 3000;
    private readonly string _dir = Directory.CreateTempSubdirectory("svcproxy-follow-ready-").FullName;
    private readonly int _second = Random.Shared.Next(101, 250);
    private readonly int _third = Random.Shared.Next(0, 16) * 16;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_follower_is_ready_only_once_every_listed_Service_is_bound()
    {
        var manifest = Path.Combine(_dir, "services.yaml");
        await File.WriteAllTextAsync(manifest, string.Join("---\n", Enumerable.Range(0, Count).Select(Service)));
        var admin = $"127.0.0.1:{Ports.FreeTcpPort()}";

        // Both at once, as processes of one node start together: the follower lists the API the moment it answers.
        var b = await StartFollowerAsync(admin);
        try
        {
            // Not waited for: the follower is asked from the start, so a ready answer before its lists were bound fails.
            await using var a = await HostProcess.StartAsync(["--roles", "api,controllers", "--admin", admin, "--service-cidr", $"{Base}.0/20", "-f", manifest], waitReady: false);
            var waited = Stopwatch.StartNew();
            for (var starts = 1; !await ReadyAsync(b);)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), "the follower did not become ready within 60 s");
                if (b.HasExited && starts < 3 && b.Output.Contains("cannot serve the admin API", StringComparison.Ordinal))
                {
                    // Its admin port was free when chosen, and another process bound it first: a ready
                    // answer there would not be the follower's. Start it again on another port.
                    await b.DisposeAsync();
                    b = await StartFollowerAsync(admin);
                    starts++;
                }

                Assert.False(b.HasExited, b.Output);
                Assert.False(a.HasExited, a.Output);
                await Task.Delay(5);
            }

            var unbound = new List<int>();
            for (var i = 0; i < Count; i++)
            {
                if (!await BoundAsync(ClusterIP(i)))
                {
                    unbound.Add(i);
                }
            }

            Assert.True(unbound.Count == 0, $"ready with {unbound.Count} of {Count} Services not bound yet (first: svc-{unbound.FirstOrDefault()}); the follower's log:\n{Log(b)}");
        }
        finally
        {
            await b.DisposeAsync();
        }
    }

    private static Task<HostProcess> StartFollowerAsync(string admin) =>
        HostProcess.StartServingAsync(["--roles", "proxy", "--master", $"http://{admin}", "--node-name", "node-b", "--remote-api-max-backoff", "100ms"]);

    /// <summary>The follower's log without its retries while the API was not up yet.</summary>
    private static string Log(HostProcess node) =>
        string.Join('\n', node.Output.Split('\n').Where(l => !l.Contains("the remote API failed", StringComparison.Ordinal)));

    /// <summary>
    /// Whether <paramref name="node"/> answers ready. Only a process still running can: its admin port
    /// may have been taken by another host, whose answer is not this one's.
    /// </summary>
    private static async Task<bool> ReadyAsync(HostProcess node)
    {
        if (node.HasExited)
        {
            return false;
        }

        try
        {
            using var response = await node.Http.GetAsync("/readyz");
            return response.StatusCode == HttpStatusCode.OK && !node.HasExited;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>
    /// Whether a listener answered: only a refused handshake means none. The Services have no
    /// endpoints, so the proxy resets each client it accepted, and on a loaded machine that reset can
    /// reach the client before its connect is reported: a reset is a listener that was there.
    /// </summary>
    private static async Task<bool> BoundAsync(IPEndPoint target)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ConnectAsync(target, timeout.Token);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode != SocketError.ConnectionRefused)
        {
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The first three octets of a /20 service CIDR of its own.</summary>
    private string Base => $"127.{_second}.{_third}";

    private IPEndPoint ClusterIP(int i) => new(IPAddress.Parse($"127.{_second}.{_third + ((i + 10) >> 8)}.{(i + 10) & 0xff}"), 80);

    private string Service(int i) => string.Create(CultureInfo.InvariantCulture, $"""
        apiVersion: v1
        kind: Service
        metadata:
          name: svc-{i}
        spec:
          clusterIP: {ClusterIP(i).Address}
          ports:
          - port: 80

        """);
}
