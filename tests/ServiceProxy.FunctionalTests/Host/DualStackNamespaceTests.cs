using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ServiceProxy.FunctionalTests.Infrastructure;
using ServiceProxy.FunctionalTests.Udp;

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>
/// End to end in a network namespace of the test's own: svcproxy with an IPv4 and an IPv6 service
/// range and <c>--service-cidr-route</c>, dual-stack NodePort Services in front of IPv4 and IPv6
/// echo backends, reached through each ClusterIP and the IPv6 NodePort over TCP and UDP,
/// round-robin within each family and with ClientIP affinity.
/// </summary>
public sealed class DualStackNamespaceTests
{
    private const string AdminUrl = "http://127.0.0.1:8080";
    private static readonly string[] V4Backends = ["127.0.0.21", "127.0.0.22"];
    private static readonly string[] V6Backends = ["fd00:20::1", "fd00:20::2"];
    private static readonly string[] V6Clients = ["fd00:30::1", "fd00:30::2"];

    [Fact]
    public async Task Dual_stack_services_reach_each_familys_endpoints_through_cluster_ips_and_the_ipv6_node_port()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var ns = NetNamespace.Create("svcproxy-ds");
        foreach (var address in V6Backends.Concat(V6Clients))
        {
            ns.Exec("ip", "-6", "addr", "add", $"{address}/128", "dev", "lo", "nodad");
        }

        var backends = ns.Run(() => V4Backends.Concat(V6Backends).Select((ip, i) => (
            Ip: ip,
            Tcp: new TestBackend(Identify((byte)(i + 1)), ip),
            Udp: new UdpTestBackend(((char)('a' + i)).ToString(), address: ip))).ToArray());
        try
        {
            var directory = Directory.CreateTempSubdirectory("svcproxy-ds-");
            var manifest = Path.Combine(directory.FullName, "echo.yaml");
            File.WriteAllText(manifest, Manifest(backends.Select(b => (b.Ip, b.Tcp.EndPoint.Port, b.Udp.EndPoint.Port))));
            using var host = ns.Start("dotnet", [HostProcess.DllPath, "run", "-f", manifest, "--service-cidr", "127.100.0.0/16,fd00:10:96::/112",
                "--service-cidr-route", "--node-address", "127.0.0.1", "--node-address", "::1", "--admin", "127.0.0.1:8080"]);
            var output = new StringBuilder();
            host.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            host.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
            host.BeginOutputReadLine();
            host.BeginErrorReadLine();
            try
            {
                await WaitServingAsync(ns, IPEndPoint.Parse("[fd00:10:96::10]:80"), host, output, cts.Token);
                Assert.Contains("local fd00:10:96::/112 dev lo", ns.Exec("ip", "-6", "route", "show", "table", "local"), StringComparison.Ordinal);

                // Round-robin within each family: IPv6 ClusterIP and NodePort to IPv6 backends only, IPv4 to IPv4.
                await AssertRoundRobinAsync(ns, "[fd00:10:96::10]:80", [3, 4], cts.Token);
                await AssertRoundRobinAsync(ns, "127.100.0.10:80", [1, 2], cts.Token);
                await AssertRoundRobinAsync(ns, "[::1]:30080", [3, 4], cts.Token);
                await AssertRoundRobinAsync(ns, "127.0.0.1:30080", [1, 2], cts.Token);
                await AssertUdpRoundRobinAsync(ns, "[fd00:10:96::10]:53", ["c", "d"]);
                await AssertUdpRoundRobinAsync(ns, "127.100.0.10:53", ["a", "b"]);
                await AssertUdpRoundRobinAsync(ns, "[::1]:30053", ["c", "d"]);

                // ClientIP affinity, keyed by the client's whole IPv6 address.
                foreach (var target in new[] { "[fd00:10:96::11]:80", "[::1]:30081" })
                {
                    var pinned = await IdOfAsync(ns, IPEndPoint.Parse(target), V6Clients[0], cts.Token);
                    Assert.Contains(pinned, new byte[] { 3, 4 });
                    for (var i = 0; i < 4; i++)
                    {
                        Assert.Equal(pinned, await IdOfAsync(ns, IPEndPoint.Parse(target), V6Clients[0], cts.Token));
                    }
                }

                var udpPinned = await AskAsync(ns, "[fd00:10:96::11]:53", V6Clients[0]);
                for (var i = 0; i < 3; i++)
                {
                    Assert.Equal(udpPinned, await AskAsync(ns, "[fd00:10:96::11]:53", V6Clients[0]));
                }

                // What kubectl and svcproxy show.
                var get = ns.Exec("kubectl", "--server", AdminUrl, "get", "svc", "echo", "-o", "wide");
                Assert.Contains("127.100.0.10", get, StringComparison.Ordinal);
                var describe = ns.Exec("dotnet", HostProcess.DllPath, "describe", "svc", "echo", "--server", AdminUrl);
                Assert.Contains("IP Family Policy:", describe, StringComparison.Ordinal);
                Assert.Contains("RequireDualStack", describe, StringComparison.Ordinal);
                Assert.Contains("IPv4,IPv6", describe, StringComparison.Ordinal);
                Assert.Contains("127.100.0.10,fd00:10:96::10", describe, StringComparison.Ordinal);

                // The route goes with the process.
                using (var term = Process.Start("kill", ["-TERM", host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync(cts.Token);
                }

                await host.WaitForExitAsync(cts.Token);
                Assert.DoesNotContain("fd00:10:96::/112", ns.Exec("ip", "-6", "route", "show", "table", "local"), StringComparison.Ordinal);
                Assert.DoesNotContain("127.100.0.0/16", ns.Exec("ip", "route", "show", "table", "local"), StringComparison.Ordinal);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                lock (output)
                {
                    throw new InvalidOperationException($"{e.Message}\nsvcproxy output:\n{output}", e);
                }
            }
            finally
            {
                if (!host.HasExited)
                {
                    host.Kill(entireProcessTree: true);
                    await host.WaitForExitAsync(CancellationToken.None);
                }

                directory.Delete(recursive: true);
            }
        }
        finally
        {
            foreach (var backend in backends)
            {
                await backend.Tcp.DisposeAsync();
                await backend.Udp.DisposeAsync();
            }
        }
    }

    private static string Manifest(IEnumerable<(string Ip, int TcpPort, int UdpPort)> backends)
    {
        var subsets = string.Concat(backends.Select(b => $"""
              - addresses: [{"{"}ip: "{b.Ip}"{"}"}]
                ports: [{"{"}name: tcp, port: {b.TcpPort}, protocol: TCP{"}"}]
              - addresses: [{"{"}ip: "{b.Ip}"{"}"}]
                ports: [{"{"}name: udp, port: {b.UdpPort}, protocol: UDP{"}"}]

            """));
        return string.Concat(new[] { ("echo", 10, "None", 30080, 30053), ("sticky", 11, "ClientIP", 30081, 30054) }.Select(s => $"""
            apiVersion: v1
            kind: Service
            metadata:
              name: {s.Item1}
            spec:
              type: NodePort
              clusterIP: 127.100.0.{s.Item2}
              clusterIPs: [127.100.0.{s.Item2}, "fd00:10:96::{s.Item2}"]
              ipFamilyPolicy: RequireDualStack
              sessionAffinity: {s.Item3}
              ports:
              - {"{"}name: tcp, port: 80, protocol: TCP, nodePort: {s.Item4}{"}"}
              - {"{"}name: udp, port: 53, protocol: UDP, nodePort: {s.Item5}{"}"}
            ---
            apiVersion: v1
            kind: Endpoints
            metadata:
              name: {s.Item1}
            subsets:
            {subsets}---

            """));
    }

    private static async Task WaitServingAsync(NetNamespace ns, IPEndPoint target, Process host, StringBuilder output, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (host.HasExited)
            {
                await host.WaitForExitAsync(cancellationToken);
                lock (output)
                {
                    Assert.Fail($"svcproxy exited with {host.ExitCode}:\n{output}");
                }
            }

            try
            {
                await IdOfAsync(ns, target, source: null, cancellationToken);
                return;
            }
            catch (Exception e) when (e is SocketException or IOException or EndOfStreamException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }

        Assert.Fail($"{target} not served within 30 s");
    }

    private static async Task AssertRoundRobinAsync(NetNamespace ns, string target, byte[] expected, CancellationToken cancellationToken)
    {
        var ids = new List<byte>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await IdOfAsync(ns, IPEndPoint.Parse(target), source: null, cancellationToken));
        }

        Assert.Equal(expected.SelectMany(id => new[] { id, id }), ids.Order());
    }

    private static async Task AssertUdpRoundRobinAsync(NetNamespace ns, string target, string[] expected)
    {
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await AskAsync(ns, target, source: null));
        }

        Assert.Equal(expected.SelectMany(id => new[] { id, id }), ids.Order(StringComparer.Ordinal));
    }

    /// <summary>A new UDP flow (its own socket, so its own session) from <paramref name="source"/>; the answering backend's id.</summary>
    private static async Task<string> AskAsync(NetNamespace ns, string target, string? source)
    {
        var to = IPEndPoint.Parse(target);
        using var client = ns.Run(() => new UdpTestClient(source ?? (to.AddressFamily == AddressFamily.InterNetworkV6 ? "::1" : "127.0.0.1")));
        return await client.AskWithRetriesAsync(to, "hello");
    }

    private static async Task<byte> IdOfAsync(NetNamespace ns, IPEndPoint target, string? source, CancellationToken cancellationToken)
    {
        using var socket = ns.Run(() =>
        {
            var s = new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (source is not null)
            {
                s.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
            }

            return s;
        });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(target, timeout.Token);
        return (await Loopback.ReadExactlyAsync(socket, 1, timeout.Token))[0];
    }

    private static Func<Socket, CancellationToken, Task> Identify(byte id) => async (s, ct) =>
    {
        await s.SendAsync(new[] { id }, SocketFlags.None, ct);
        await TestBackend.EchoAsync(s, ct);
    };
}
