using System.Net;
using System.Text.Json;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Allocation;

/// <summary>LoadBalancer addresses from the pool, and the status every Service carries, through the store as the API uses it.</summary>
public sealed class LoadBalancerAllocationTests
{
    private const string OtherClass = "example.com/metal";

    private static IObjectStore PoolOf(string pool) => Store(configure: o => o.Allocation.LoadBalancerPool = pool);

    private static ServiceAllocator Allocator(IObjectStore store) => ((InMemoryObjectStore)store).Allocator;

    private static Service LoadBalancer(string name, string? ip = null, string? @class = null) => Service(name, ServiceTypes.LoadBalancer) with
    {
        Spec = Service(name, ServiceTypes.LoadBalancer).Spec with { LoadBalancerIP = ip, LoadBalancerClass = @class },
    };

    private static string? Ingress(Service service) => Assert.Single(service.Status!.LoadBalancer!.Ingress ?? [new LoadBalancerIngress()]).Ip;

    private static bool Pending(Service service) => service.Status?.LoadBalancer is { Ingress: null };

    [Fact]
    public async Task Every_service_has_a_load_balancer_status_as_kube_apiserver_returns_it()
    {
        var store = Store();

        var created = await store.CreateAsync(Service("web"));

        var json = JsonDocument.Parse(JsonSerializer.Serialize(created, KubeJson.Options)).RootElement;
        Assert.Equal("""{"loadBalancer":{}}""", json.GetProperty("status").GetRawText());
        Assert.True(Pending(await store.CreateAsync(LoadBalancer("lb", @class: OtherClass))));
        Assert.Equal("""{"loadBalancer":{}}""", JsonSerializer.Serialize(store.Get<Service>("default", "web")!.Status, KubeJson.Options));
    }

    [Fact]
    public async Task A_load_balancer_service_gets_the_lowest_free_address_of_the_default_loopback_pool()
    {
        var store = Store();

        var a = await store.CreateAsync(LoadBalancer("a"));
        var b = await store.CreateAsync(LoadBalancer("b", @class: LoadBalancerClasses.ServiceProxy));

        Assert.Equal(("127.101.0.0", "127.101.0.1"), (Ingress(a), Ingress(b)));
        Assert.True(Allocator(store).IsLoadBalancerIPAllocated(IPAddress.Parse("127.101.0.1")));
        Assert.Equal(Ingress(a), Ingress(store.Get<Service>("default", "a")!));
    }

    [Fact]
    public async Task An_exhausted_pool_leaves_the_service_pending_until_an_address_is_given_back()
    {
        var store = PoolOf("10.1.0.7,10.1.0.9");
        await store.CreateAsync(LoadBalancer("a"));
        var b = await store.CreateAsync(LoadBalancer("b"));

        var c = await store.CreateAsync(LoadBalancer("c"));

        Assert.True(Pending(c));
        Assert.Equal("10.1.0.9", Ingress(b));
        await store.DeleteAsync<Service>("default", "a");
        Assert.Equal("10.1.0.7", Ingress(store.Get<Service>("default", "c")!));
        Assert.False(Allocator(store).IsLoadBalancerIPAllocated(IPAddress.Parse("10.1.0.8")));
    }

    [Fact]
    public async Task Delete_releases_the_address_for_reuse()
    {
        var store = PoolOf("10.1.0.0/31");
        var a = await store.CreateAsync(LoadBalancer("a"));

        await store.DeleteAsync<Service>("default", "a");

        Assert.False(Allocator(store).IsLoadBalancerIPAllocated(IPAddress.Parse(Ingress(a)!)));
        Assert.Equal(Ingress(a), Ingress(await store.CreateAsync(LoadBalancer("b"))));
    }

    [Fact]
    public async Task A_type_change_releases_the_address_and_clears_the_ingress()
    {
        var store = PoolOf("10.1.0.0/32");
        var a = await store.CreateAsync(LoadBalancer("a", @class: LoadBalancerClasses.ServiceProxy));
        var pending = await store.CreateAsync(LoadBalancer("pending"));
        Assert.True(Pending(pending));

        var changed = await store.UpdateAsync(a with { Spec = a.Spec with { Type = ServiceTypes.ClusterIP, Ports = [Port(80)] } });

        Assert.True(Pending(changed));
        Assert.Null(changed.Spec.LoadBalancerClass);
        Assert.Equal("10.1.0.0", Ingress(store.Get<Service>("default", "pending")!));
    }

    [Fact]
    public async Task An_update_keeps_the_address_and_ignores_the_status_a_client_sends()
    {
        var store = PoolOf("10.1.0.0/30");
        var a = await store.CreateAsync(LoadBalancer("a"));
        var resent = a with
        {
            Metadata = a.Metadata with { Labels = new Dictionary<string, string> { ["tier"] = "web" } },
            Status = new ServiceStatus { LoadBalancer = new LoadBalancerStatus { Ingress = [new LoadBalancerIngress { Ip = "192.0.2.1" }] } },
        };

        var updated = await store.UpdateAsync(resent);

        Assert.Equal(Ingress(a), Ingress(updated));
    }

    [Fact]
    public async Task A_requested_address_in_the_pool_is_given()
    {
        var store = PoolOf("10.1.0.0/29");

        var a = await store.CreateAsync(LoadBalancer("a", ip: "10.1.0.5"));

        Assert.Equal("10.1.0.5", Ingress(a));
        Assert.Equal("10.1.0.0", Ingress(await store.CreateAsync(LoadBalancer("b"))));
    }

    [Theory]
    [InlineData("192.0.2.10")] // outside the pool: MetalLB gives nothing either
    [InlineData("10.1.0.0")] // held by another Service
    public async Task A_requested_address_outside_the_pool_or_taken_leaves_the_service_pending(string ip)
    {
        var store = PoolOf("10.1.0.0/29");
        await store.CreateAsync(LoadBalancer("first"));

        var a = await store.CreateAsync(LoadBalancer("a", ip: ip));

        Assert.True(Pending(a));
        Assert.False(Allocator(store).IsLoadBalancerIPAllocated(IPAddress.Parse("10.1.0.1")));
    }

    [Fact]
    public async Task Changing_the_requested_address_moves_the_service_and_frees_the_old_one()
    {
        var store = PoolOf("10.1.0.0/29");
        var a = await store.CreateAsync(LoadBalancer("a"));

        var moved = await store.UpdateAsync(a with { Spec = a.Spec with { LoadBalancerIP = "10.1.0.6" } });

        Assert.Equal("10.1.0.6", Ingress(moved));
        Assert.False(Allocator(store).IsLoadBalancerIPAllocated(IPAddress.Parse("10.1.0.0")));
    }

    [Fact]
    public async Task A_service_of_another_class_is_left_alone_and_keeps_the_status_its_controller_writes()
    {
        var store = PoolOf("10.1.0.0/30");
        var status = new ServiceStatus { LoadBalancer = new LoadBalancerStatus { Ingress = [new LoadBalancerIngress { Ip = "10.1.0.2" }] } };

        var other = await store.CreateAsync(LoadBalancer("other", @class: OtherClass) with { Status = status });

        Assert.Equal("10.1.0.2", Ingress(other));
        Assert.False(Allocator(store).IsLoadBalancerIPAllocated(IPAddress.Parse("10.1.0.2")));
        Assert.Equal(0, Allocator(store).LoadBalancerPool.Size - Allocator(store).FreeLoadBalancerIPs);
    }

    [Fact]
    public async Task A_restored_service_keeps_the_address_its_stored_status_names()
    {
        var first = PoolOf("10.1.0.0/29");
        await first.CreateAsync(LoadBalancer("a"));
        var b = await first.CreateAsync(LoadBalancer("b"));

        var restarted = PoolOf("10.1.0.0/29");
        var restored = await restarted.CreateAsync(b with { Metadata = new ObjectMeta { Name = "b" } });

        Assert.Equal("10.1.0.1", Ingress(restored));
        Assert.Equal("10.1.0.0", Ingress(await restarted.CreateAsync(LoadBalancer("a"))));
    }

    [Fact]
    public async Task Dry_run_and_failed_writes_hold_no_address()
    {
        var store = PoolOf("10.1.0.0/32");

        var dry = await store.CreateAsync(LoadBalancer("a"), new WriteOptions { DryRun = true });

        Assert.Equal("10.1.0.0", Ingress(dry));
        Assert.False(Allocator(store).IsLoadBalancerIPAllocated(IPAddress.Parse("10.1.0.0")));
        Assert.Equal("10.1.0.0", Ingress(await store.CreateAsync(LoadBalancer("b"))));
    }

    [Fact]
    public void Load_balancer_class_is_validated_as_kube_apiserver_does()
    {
        var validator = ObjectValidator.Default;
        var lb = validator.ApplyDefaults(LoadBalancer("a", @class: OtherClass));
        var clusterIP = validator.ApplyDefaults(Service("a") with { Spec = Service("a").Spec with { LoadBalancerClass = OtherClass } });

        Assert.Empty(validator.Validate(lb));
        Assert.Equal("spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'", Assert.Single(validator.Validate(clusterIP)).ToString());
        var changed = lb with { Spec = lb.Spec with { LoadBalancerClass = LoadBalancerClasses.ServiceProxy } };
        Assert.Equal("spec.loadBalancerClass: Invalid value: \"serviceproxy.io/loadbalancer\": may not change once set", Assert.Single(validator.Validate(changed, lb)).ToString());
        Assert.StartsWith("spec.loadBalancerClass: Invalid value: \"not a class\"", Assert.Single(validator.Validate(lb with { Spec = lb.Spec with { LoadBalancerClass = "not a class" } })).ToString());
    }

    [Theory]
    [InlineData("bogus", "invalid load-balancer pool \"bogus\"")]
    [InlineData("10.0.0.0/33", "the prefix length must be a number within 0-32")]
    [InlineData("10.0.0.0/8", "is too large: at most 20 host bits")]
    [InlineData("10.0.0.0/24,10.0.0.128/25", "load-balancer pool \"10.0.0.128/25\" overlaps \"10.0.0.0/24\"")]
    public void Malformed_pools_fail_at_construction(string pool, string message)
    {
        var error = Assert.Throws<FormatException>(() => PoolOf(pool));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pool_numbers_its_blocks_in_the_order_written_and_an_empty_one_gives_nothing()
    {
        var pool = LoadBalancerPool.Parse(" 10.2.0.5/30 , fd00::7 ");

        Assert.Equal(5, pool.Size);
        Assert.Equal("10.2.0.4/30,fd00::7", pool.Text);
        Assert.Equal(IPAddress.Parse("fd00::7"), pool.AddressAt(4));
        Assert.Equal(3, pool.OffsetOf(IPAddress.Parse("10.2.0.7")));
        Assert.Equal(-1, pool.OffsetOf(IPAddress.Parse("10.2.0.8")));
        Assert.True(Pending(await PoolOf("").CreateAsync(LoadBalancer("a"))));
    }
}

/// <summary>Rebuilding the allocations from stored Services (a cluster node's replay) gives out no address.</summary>
public sealed class LoadBalancerClaimTests
{
    private static Service Stored(string name, string clusterIP, string? ingress) => Service(name, ServiceTypes.LoadBalancer) with
    {
        Spec = Service(name, ServiceTypes.LoadBalancer).Spec with { ClusterIP = clusterIP, ClusterIPs = [clusterIP] },
        Status = new ServiceStatus { LoadBalancer = new LoadBalancerStatus { Ingress = ingress is null ? null : [new LoadBalancerIngress { Ip = ingress }] } },
    };

    [Fact]
    public void A_claim_takes_back_the_address_a_service_holds_and_leaves_a_pending_one_pending()
    {
        var allocator = new ServiceAllocator(new AllocationOptions { ServiceCidr = "10.96.0.0/24", LoadBalancerPool = "10.1.0.0/30" });
        var free = allocator.FreeLoadBalancerIPs;

        var (holder, errors, transaction) = allocator.Claim(Stored("holder", "10.96.0.10", "10.1.0.2"));
        Assert.Empty(errors);
        transaction.Commit();
        Assert.True(allocator.IsLoadBalancerIPAllocated(IPAddress.Parse("10.1.0.2")));
        Assert.Equal("10.1.0.2", Assert.Single(holder.Status!.LoadBalancer!.Ingress!).Ip);

        var (pending, _, pendingTransaction) = allocator.Claim(Stored("pending", "10.96.0.11", null));
        pendingTransaction.Commit();
        Assert.Null(pending.Status!.LoadBalancer!.Ingress);
        Assert.Equal(free - 1, allocator.FreeLoadBalancerIPs);

        // An allocation (a write) does give an address to a Service without one.
        var (written, _, writeTransaction) = allocator.Allocate(Stored("written", "10.96.0.12", null), null);
        writeTransaction.Commit();
        Assert.NotNull(written.Status!.LoadBalancer!.Ingress);
        Assert.Equal(free - 2, allocator.FreeLoadBalancerIPs);
    }
}
