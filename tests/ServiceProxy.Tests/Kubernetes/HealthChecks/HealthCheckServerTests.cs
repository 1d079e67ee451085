using System.Net;
using System.Net.Sockets;
using System.Text;
using ServiceProxy.Kubernetes.HealthChecks;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Tests.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.HealthChecks;

public sealed class HealthCheckServerTests
{
    [Fact]
    public void The_answer_is_kube_proxys_200_with_local_endpoints_else_503()
    {
        var ok = Encoding.UTF8.GetString(HealthCheckResponder.Response(new HealthCheckState("default", "web", 2)));
        var unavailable = Encoding.UTF8.GetString(HealthCheckResponder.Response(new HealthCheckState("default", "web", 0)));

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", ok, StringComparison.Ordinal);
        Assert.Contains("X-Load-Balancing-Endpoints: 2\r\n", ok, StringComparison.Ordinal);
        Assert.EndsWith("{\n\t\"service\": {\n\t\t\"namespace\": \"default\",\n\t\t\"name\": \"web\"\n\t},\n\t\"localEndpoints\": 2\n}", ok, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", unavailable, StringComparison.Ordinal);
        Assert.Contains("\"localEndpoints\": 0", unavailable, StringComparison.Ordinal);
    }

    [Fact]
    public void Local_endpoints_are_the_ready_addresses_on_this_node_each_once()
    {
        var endpoints = new Endpoints
        {
            Subsets =
            [
                new EndpointSubset { Addresses = [new EndpointAddress { Ip = "10.0.0.1", NodeName = "a" }, new EndpointAddress { Ip = "10.0.0.2", NodeName = "b" }] },
                new EndpointSubset { Addresses = [new EndpointAddress { Ip = "10.0.0.1", NodeName = "a" }, new EndpointAddress { Ip = "10.0.0.3" }] },
            ],
        };

        Assert.Equal(1, HealthCheckServer.CountLocal(endpoints, "a"));
        Assert.Equal(1, HealthCheckServer.CountLocal(endpoints, "b"));
        Assert.Equal(0, HealthCheckServer.CountLocal(endpoints, "c"));
        Assert.Equal(0, HealthCheckServer.CountLocal(endpoints, null));
        Assert.Equal(0, HealthCheckServer.CountLocal(null, "a"));
    }

    [Fact]
    public async Task The_port_follows_the_service_and_its_endpoints_and_closes_when_the_policy_goes_back_to_Cluster()
    {
        var port = FreePort();
        var options = new RegistryOptions { NodeAddresses = [IPAddress.Loopback] };
        options.Allocation.NodePortRange = $"{port}-{port + 1}";
        options.Node.Name = "node-a";
        var store = ObjectStore.CreateInMemory(options, new TestValidator());
        await using var server = new HealthCheckServer(store, options);
        await server.StartAsync(CancellationToken.None);

        var service = Service("web", ServiceTypes.LoadBalancer, Port(80, nodePort: port + 1));
        var created = await store.CreateAsync(service with { Spec = service.Spec with { ExternalTrafficPolicy = "Local", HealthCheckNodePort = port } });
        Assert.StartsWith("HTTP/1.1 503 ", await GetAsync(port), StringComparison.Ordinal);

        await store.CreateAsync(new Endpoints
        {
            Metadata = new ObjectMeta { Name = "web" },
            Subsets = [new EndpointSubset { Addresses = [new EndpointAddress { Ip = "10.0.0.1", NodeName = "node-a" }], Ports = [new EndpointPort { Port = 80 }] }],
        });
        var answer = await GetAsync(port);
        Assert.StartsWith("HTTP/1.1 200 OK", answer, StringComparison.Ordinal);
        Assert.Contains("\"localEndpoints\": 1", answer, StringComparison.Ordinal);

        await store.UpdateAsync(created with { Spec = created.Spec with { ExternalTrafficPolicy = "Cluster", HealthCheckNodePort = 0 } });
        Assert.Empty(server.Listeners);
        await AssertClosedAsync(port);
    }

    [Fact]
    public async Task Only_the_proxy_shard_that_serves_the_Service_opens_its_health_check_port()
    {
        var port = FreePort();
        var owner = ProxyShard.Of("default", "web", 2);
        var servers = new List<HealthCheckServer>();
        try
        {
            for (var k = 0; k < 2; k++)
            {
                var options = new RegistryOptions { NodeAddresses = [IPAddress.Loopback], ProxyShard = $"{k}/2" };
                options.Allocation.NodePortRange = $"{port}-{port + 1}";
                options.Node.Name = "node-a";
                var store = ObjectStore.CreateInMemory(options, new TestValidator());
                var server = new HealthCheckServer(store, options);
                servers.Add(server);
                await server.StartAsync(CancellationToken.None);
                var service = Service("web", ServiceTypes.LoadBalancer, Port(80, nodePort: port + 1));
                await store.CreateAsync(service with { Spec = service.Spec with { ExternalTrafficPolicy = "Local", HealthCheckNodePort = port } });
            }

            // Both shards would bind the same port otherwise; the one that does not proxy the Service stays out.
            Assert.Equal([true, false], [servers[owner].Listeners.Count == 1, servers[1 - owner].Listeners.Count == 1]);
            Assert.StartsWith("HTTP/1.1 503 ", await GetAsync(port), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_request_head_larger_than_the_bound_is_answered_431()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        var served = HealthCheckResponder.RespondAsync(await listener.AcceptAsync(), () => new HealthCheckState("default", "web", 1), CancellationToken.None);

        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX: " + new string('a', HealthCheckResponder.MaxRequestHead) + "\r\n\r\n"));
        await served.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 431 ", await ReadAllAsync(client), StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = Random.Shared.Next(30000, 32000);
            using var a = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var b = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                a.Bind(new IPEndPoint(IPAddress.Loopback, port));
                b.Bind(new IPEndPoint(IPAddress.Loopback, port + 1));
                return port;
            }
            catch (SocketException)
            {
            }
        }

        throw new InvalidOperationException("no free pair of ports");
    }

    private static async Task<string> GetAsync(int port)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await client.SendAsync("GET / HTTP/1.1\r\nHost: node\r\n\r\n"u8.ToArray());
        return await ReadAllAsync(client);
    }

    private static async Task<string> ReadAllAsync(Socket client)
    {
        var buffer = new byte[8192];
        var total = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read;
        while ((read = await client.ReceiveAsync(buffer.AsMemory(total), SocketFlags.None, timeout.Token)) > 0 && total + read < buffer.Length)
        {
            total += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, total);
    }

    private static async Task AssertClosedAsync(int port)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            }
            catch (SocketException)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"port {port} still accepts");
    }
}
