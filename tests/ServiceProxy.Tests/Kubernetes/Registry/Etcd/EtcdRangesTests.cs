using System.Text;
using System.Text.Json;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry.Etcd;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry.Etcd;

/// <summary>The RangeAllocation values the start-up repair writes, the load-balancer pool's among them, from Services the in-memory store allocated.</summary>
public sealed class EtcdRangesTests
{
    private static readonly AllocationOptions Options = new() { ServiceCidr = "10.96.0.0/24", NodePortRange = "30000-30015", LoadBalancerPool = "192.168.1.240/29,10.0.0.7" };

    private static Service LoadBalancer(string name, string? @class = null) => Service(name, ServiceTypes.LoadBalancer) with
    {
        Spec = Service(name, ServiceTypes.LoadBalancer).Spec with { LoadBalancerClass = @class },
    };

    private static JsonElement Range(byte[] value) => JsonDocument.Parse(value).RootElement;

    private static byte[] Data(byte[] value) => Range(value).GetProperty("data").GetBytesFromBase64();

    [Fact]
    public void The_keys_are_kube_apiserver_s_two_and_the_pool_s_beside_them()
    {
        var keys = new EtcdKeys("/registry");

        Assert.Equal(
            ["/registry/ranges/serviceips", "/registry/ranges/servicenodeports", "/registry/ranges/loadbalancerips"],
            [keys.ServiceIPs.ToStringUtf8(), keys.ServiceNodePorts.ToStringUtf8(), keys.LoadBalancerIPs.ToStringUtf8()]);
        Assert.Null(keys.Parse(keys.LoadBalancerIPs).Kind);
    }

    [Fact]
    public async Task The_pool_range_marks_the_addresses_in_the_status_of_svcproxy_s_load_balancers_only()
    {
        var store = Store(configure: o => o.Allocation = Options);
        await store.CreateAsync(LoadBalancer("a")); // 192.168.1.240: offset 0
        await store.CreateAsync(LoadBalancer("b")); // 192.168.1.241: offset 1
        await store.CreateAsync(LoadBalancer("other", "example.com/metal") with
        {
            Status = new ServiceStatus { LoadBalancer = new LoadBalancerStatus { Ingress = [new LoadBalancerIngress { Ip = "192.168.1.245" }] } },
        });
        var explicitIP = LoadBalancer("c");
        await store.CreateAsync(explicitIP with { Spec = explicitIP.Spec with { LoadBalancerIP = "10.0.0.7" } }); // the second block: offset 8
        await store.CreateAsync(Service("plain"));

        var values = new EtcdRanges(Options, new EtcdKeys("/registry")).Encode(store.List<Service>().Items);

        Assert.Equal(3, values.Length);
        var pool = Range(values[2]);
        Assert.Equal("RangeAllocation", pool.GetProperty("kind").GetString());
        Assert.Equal("v1", pool.GetProperty("apiVersion").GetString());
        Assert.Equal("192.168.1.240/29,10.0.0.7", pool.GetProperty("range").GetString());
        Assert.Equal(new byte[] { 0b0000_0011, 0b0000_0001 }, Data(values[2]));

        // The other two as before: five cluster IPs, and a node port for each of the four LoadBalancers, whatever their class.
        Assert.Equal("10.96.0.0/24", Range(values[0]).GetProperty("range").GetString());
        Assert.Equal(5, Data(values[0]).Sum(b => System.Numerics.BitOperations.PopCount(b)));
        Assert.Equal("30000-30015", Range(values[1]).GetProperty("range").GetString());
        Assert.Equal(4, Data(values[1]).Sum(b => System.Numerics.BitOperations.PopCount(b)));
    }

    [Fact]
    public void An_empty_pool_is_an_empty_range()
    {
        var values = new EtcdRanges(new AllocationOptions { LoadBalancerPool = "" }, new EtcdKeys("/registry")).Encode([LoadBalancer("a")]);

        Assert.Equal("""{"range":"","data":"","kind":"RangeAllocation","apiVersion":"v1"}""", Encoding.UTF8.GetString(values[2]));
    }

    [Fact]
    public void A_repair_tells_whether_the_stored_pool_marked_an_address_no_service_holds()
    {
        static byte[] Value(params byte[] data) => Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { range = "192.168.1.240/29", data = Convert.ToBase64String(data) }));

        Assert.True(EtcdRanges.Leaked(Value(0b0000_0111), Value(0b0000_0011)));
        Assert.False(EtcdRanges.Leaked(Value(0b0000_0011), Value(0b0000_0011)));
        Assert.False(EtcdRanges.Leaked(Value(0b0000_0001), Value(0b0000_0011))); // Missing bits are repaired, but free nothing.
        Assert.True(EtcdRanges.Leaked(Value(0, 1), Value(0)));
        Assert.True(EtcdRanges.Leaked("not json"u8, Value(0)));
    }
}
