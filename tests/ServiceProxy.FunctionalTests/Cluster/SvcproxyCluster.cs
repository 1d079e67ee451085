using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// A real 3-member etcd cluster and real svcproxy processes on it, all on one machine: every node
/// shares one service CIDR, NodePort range and load-balancer pool (the allocations are the cluster's,
/// not a node's), and each has its own admin port, node name and roles. Only nodes given the
/// <c>proxy</c> role bind Service ports; the tests give it to one node, so that a connection to a
/// ClusterIP (which proxies on one host share) is known to go through that node. Disposing kills every
/// node, then every member, and removes their directories, also after a failed start.
/// </summary>
internal sealed class SvcproxyCluster : IAsyncDisposable
{
    public const string AllRoles = "api,controllers,proxy";
    public const string ControlPlane = "api,controllers";

    private readonly List<HostProcess?> _nodes = [];
    private readonly string[] _shared;

    private SvcproxyCluster(EtcdCluster etcd, string[] shared)
    {
        Etcd = etcd;
        _shared = shared;
        ServiceCidr = shared[Array.IndexOf(shared, "--service-cidr") + 1];
    }

    public EtcdCluster Etcd { get; }

    public string ServiceCidr { get; }

    /// <summary>The nodes in start order; a killed one stays at its index.</summary>
    public HostProcess this[int index] => _nodes[index] ?? throw new InvalidOperationException($"node {index} was killed");

    public int Count => _nodes.Count;

    /// <summary>
    /// Starts etcd (3 members) and one node per entry of <paramref name="roles"/>, named node-0, node-1, …,
    /// each also given <paramref name="extra"/>. <paramref name="nodePortRange"/> is shared by all;
    /// <paramref name="requestTimeout"/> is how long a write may take before it fails with 500 (default 5 s);
    /// <paramref name="loadBalancerPool"/> the shared pool (default a random /28).
    /// </summary>
    public static async Task<SvcproxyCluster> StartAsync(
        string[] roles, string nodePortRange = "30000-32767", string[]? extra = null, TimeSpan? requestTimeout = null, string? loadBalancerPool = null)
    {
        var etcd = await EtcdCluster.StartAsync(3);
        var suffix = Random.Shared.Next(0, 256);
        var config = Path.Combine(etcd.RootDirectory, "svcproxy.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Registry = new { Etcd = new { RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(5) } },
        }));
        var cluster = new SvcproxyCluster(etcd,
        [
            "--config", config,
            "--etcd-servers", etcd.ClientUrls,
            "--service-cidr", $"127.{Random.Shared.Next(101, 250)}.{suffix & 0xFC}.0/22",
            "--node-port-range", nodePortRange,
            "--loadbalancer-pool", loadBalancerPool ?? $"127.{Random.Shared.Next(250, 255)}.{suffix}.0/28",
            .. extra ?? [],
        ]);
        try
        {
            cluster._nodes.AddRange(roles.Select(_ => (HostProcess?)null));
            await Task.WhenAll(roles.Select(async (role, i) => cluster._nodes[i] = await cluster.LaunchAsync(i, role)));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The node name of node <paramref name="index"/>.</summary>
    public static string NodeName(int index) => $"node-{index}";

    /// <summary>Starts one more node, with the shared settings, at the next index; returns that index.</summary>
    public async Task<int> AddNodeAsync(string roles)
    {
        var index = _nodes.Count;
        _nodes.Add(null);
        _nodes[index] = await LaunchAsync(index, roles);
        return index;
    }

    /// <summary>kill -9 node <paramref name="index"/>: no shutdown code runs, its Lease and Node stay as they were.</summary>
    public async Task KillAsync(int index)
    {
        var node = this[index];
        await node.KillAsync();
        await node.DisposeAsync();
        _nodes[index] = null;
    }

    /// <summary>The nodes still running, with their index.</summary>
    public IEnumerable<(int Index, HostProcess Node)> Running =>
        _nodes.Select((n, i) => (i, n)).Where(p => p.n is not null).Select(p => (p.i, p.n!));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Where(n => n is not null))
        {
            try
            {
                await node!.DisposeAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
            {
                // Gone already, or not reaped in time: etcd and its directories go all the same.
            }
        }

        await Etcd.DisposeAsync();
    }

    private Task<HostProcess> LaunchAsync(int index, string roles)
    {
        var admin = $"127.0.0.1:{Ports.FreeTcpPort()}";
        string[] args = [.. _shared, "--admin", admin, "--node-name", NodeName(index), "--roles", roles];
        return HostProcess.StartAsync(args, waitReady: roles.Contains("api", StringComparison.Ordinal));
    }
}

/// <summary>The admin API calls the cluster tests make, and their bounded waits.</summary>
internal static class ClusterApi
{
    /// <summary>
    /// Creates a Service of <paramref name="type"/> for each of <paramref name="names"/> through one
    /// node, <paramref name="inFlight"/> requests at a time; each must answer 201. Returns what was created.
    /// </summary>
    public static async Task<List<JsonObject>> CreateServicesAsync(HttpClient http, IEnumerable<string> names, string type, int inFlight)
    {
        var created = new List<JsonObject>();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = inFlight }, async (name, _) =>
        {
            using var response = await http.PostAsync("/api/v1/namespaces/default/services", JsonContent.Create(Service(name, type)));
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"{name} through {http.BaseAddress}: {(int)response.StatusCode} {text}");
            lock (created)
            {
                created.Add(JsonNode.Parse(text)!.AsObject());
            }
        });
        return created;
    }

    /// <summary>A Service selecting <c>app: name</c> (or, with <paramref name="selector"/> false, none: its Endpoints are written by hand).</summary>
    public static JsonObject Service(string name, string type = "ClusterIP", int port = 80, bool selector = true, int? targetPort = null)
    {
        var spec = new JsonObject
        {
            ["type"] = type,
            ["ports"] = new JsonArray(new JsonObject { ["port"] = port, ["targetPort"] = targetPort ?? port, ["protocol"] = "TCP" }),
        };
        if (selector)
        {
            spec["selector"] = new JsonObject { ["app"] = name };
        }

        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        };
    }

    /// <summary>A Pod of app <paramref name="app"/> at <paramref name="ip"/>, Ready or not.</summary>
    public static JsonObject Pod(string name, string app, string ip, bool ready) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["app"] = app } },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "none" }) },
        ["status"] = new JsonObject
        {
            ["phase"] = "Running",
            ["podIP"] = ip,
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
        },
    };

    /// <summary>Endpoints of <paramref name="name"/> with one address per backend, port named as the Service's (unnamed).</summary>
    public static JsonObject Endpoints(string name, params IPEndPoint[] backends) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Endpoints",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["subsets"] = new JsonArray([.. backends.Select(b => (JsonNode)new JsonObject
        {
            ["addresses"] = new JsonArray(new JsonObject { ["ip"] = b.Address.ToString() }),
            ["ports"] = new JsonArray(new JsonObject { ["port"] = b.Port, ["protocol"] = "TCP" }),
        })]),
    };

    public static async Task<JsonObject> CreateAsync(HttpClient http, string resource, JsonObject body)
    {
        using var response = await http.PostAsync($"/api/v1/namespaces/default/{resource}", JsonContent.Create(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {resource}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static async Task<JsonObject> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public static string ResourceVersion(JsonNode obj) => obj["metadata"]!["resourceVersion"]!.GetValue<string>();

    /// <summary>Retries <paramref name="condition"/> every 100 ms until true, for at most <paramref name="bound"/> (default 20 s).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? bound = null)
    {
        var limit = bound ?? TimeSpan.FromSeconds(20);
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(stopwatch.Elapsed < limit, $"{what}: not within {limit}");
            await Task.Delay(100);
        }
    }
}
