using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using ServiceProxy.FunctionalTests.Host;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// More clients than the process has descriptors for, as a user with <c>ulimit -n 300</c> would
/// try it: the clients beyond the connection budget are reset, the process lives, its admin API
/// answers (also on a code path it has not run yet) and, once the clients close, new ones are served.
/// </summary>
public sealed partial class DescriptorExhaustionTests
{
    private const int DescriptorLimit = 300;
    private const int Clients = 400;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Clients_beyond_the_descriptor_budget_are_reset_and_the_process_keeps_serving()
    {
        Assert.True(ProcessResources.RaiseDescriptorLimit() >= Clients + 200, "this test process needs more descriptors (ulimit -n)");
        await using var canary = await CanaryHost.StartAsync(descriptorLimit: DescriptorLimit);
        var held = new List<Socket>();
        try
        {
            using var timeout = new CancellationTokenSource(Settle);
            var resetWhileConnecting = 0;
            for (var i = 0; i < Clients; i++)
            {
                try
                {
                    held.Add(await Loopback.ConnectAsync(new IPEndPoint(IPAddress.Loopback, canary.NodePort), timeout.Token));
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && !canary.Host.HasExited)
                {
                    // Accepted and reset before the client saw its connect complete.
                    resetWhileConnecting++;
                }
                catch (SocketException e)
                {
                    // The listener's backlog holds them all; only a dead process refuses a connect.
                    Assert.Fail($"client {i} could not connect ({e.SocketErrorCode}); svcproxy exited: {canary.Host.HasExited}\n{canary.Host.Output}");
                }
            }

            // The admin API answers, on a path it has served before and on one it has not.
            using (var service = await canary.Host.Http.GetAsync("/api/v1/namespaces/default/services/canary"))
            {
                Assert.True(service.StatusCode == HttpStatusCode.OK, $"GET service answered {(int)service.StatusCode}:\n{canary.Host.Output}");
            }

            using (var openApi = await canary.Host.Http.GetAsync("/openapi/v2"))
            {
                Assert.True(openApi.StatusCode == HttpStatusCode.OK, $"GET /openapi/v2 answered {(int)openApi.StatusCode}:\n{canary.Host.Output}");
            }

            var budget = int.Parse(
                MaxConnectionsLine().Match(await canary.Host.WaitForOutputAsync("proxied TCP connections at most", TimeSpan.FromSeconds(5))).Groups[1].Value,
                CultureInfo.InvariantCulture);
            Assert.InRange(budget, 1, Clients - 1);

            // Every client beyond the budget is reset, and counted.
            var reset = 0;
            var refused = 0L;
            var deadline = DateTime.UtcNow + Settle;
            do
            {
                await Task.Delay(200);
                reset = resetWhileConnecting + held.Count(WasReset);
                refused = await RefusedAsync(canary);
            }
            while ((reset < Clients - budget || refused < Clients - budget) && DateTime.UtcNow < deadline);

            Assert.False(canary.Host.HasExited, "svcproxy exited:\n" + canary.Host.Output);
            Assert.Equal(Clients - budget, reset);
            Assert.Equal(Clients - budget, refused);

            // The clients within the budget are proxied.
            var served = held.First(s => !WasReset(s));
            Assert.Contains("canary-pod", await RequestAsync(served), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }

        await canary.AssertServingAsync();
    }

    /// <summary>
    /// The assemblies the admin API's first request needs are loaded before any client sends one:
    /// each load takes descriptors, which a full process would not have then. Nothing but a TCP
    /// connect reaches the API here; the host's own requests must load them.
    /// </summary>
    [Fact]
    public async Task The_admin_pipeline_is_loaded_at_start_before_any_request()
    {
        await using var host = await HostProcess.StartAsync([], waitReady: false);
        var fds = $"/proc/{host.ProcessId}/fd";
        var deadline = DateTime.UtcNow + Settle;
        while (!OpenFiles(fds).Any(f => f.EndsWith("Microsoft.AspNetCore.Http.Results.dll", StringComparison.Ordinal)))
        {
            Assert.False(host.HasExited, "svcproxy exited:\n" + host.Output);
            Assert.True(DateTime.UtcNow < deadline, $"the admin pipeline was not loaded within {Settle}; open: {string.Join(", ", OpenFiles(fds).Where(f => f.EndsWith(".dll", StringComparison.Ordinal)).Select(Path.GetFileName))}");
            await Task.Delay(200);
        }

        await host.WaitReadyAsync();
    }

    private static List<string> OpenFiles(string fdDirectory)
    {
        var files = new List<string>();
        foreach (var fd in Directory.EnumerateFileSystemEntries(fdDirectory))
        {
            try
            {
                files.Add(new FileInfo(fd).LinkTarget ?? string.Empty);
            }
            catch (IOException)
            {
                // Closed meanwhile.
            }
        }

        return files;
    }

    /// <summary>A client the proxy reset reads ECONNRESET at once; a held one has nothing to read.</summary>
    private static bool WasReset(Socket socket)
    {
        try
        {
            if (!socket.Poll(0, SelectMode.SelectRead))
            {
                return false;
            }

            return socket.Receive(new byte[1]) == 0;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return true;
        }
    }

    private static async Task<string> RequestAsync(Socket socket)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /hostname.html HTTP/1.1\r\nHost: canary\r\nConnection: close\r\n\r\n"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var response = new StringBuilder();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0)
        {
            response.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return response.ToString();
    }

    /// <summary>The sum of <c>serviceproxy_tcp_connections_refused_total</c> over its series.</summary>
    private static async Task<long> RefusedAsync(CanaryHost canary)
    {
        var text = await canary.Host.Http.GetStringAsync("/metrics");
        return RefusedSeries().Matches(text).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [GeneratedRegex(@"^serviceproxy_tcp_connections_refused_total(?:\{[^}]*\})? (\d+)", RegexOptions.Multiline)]
    private static partial Regex RefusedSeries();

    [GeneratedRegex(@"proxied TCP connections at most (\d+)")]
    private static partial Regex MaxConnectionsLine();
}
