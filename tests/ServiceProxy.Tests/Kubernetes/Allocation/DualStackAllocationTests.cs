using System.Net;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Allocation;

/// <summary>
/// ipFamilies, ipFamilyPolicy, clusterIPs and clusterIP through the store with the real validator,
/// against a single-stack (IPv4) and a dual-stack cluster, with kube-apiserver's messages.
/// </summary>
public sealed class DualStackAllocationTests
{
    private const string V4 = "127.100.0.0/16";
    private const string Dual = "127.100.0.0/16,fd00:10:96::/112";

    private static IObjectStore Store(string cidrs) =>
        ObjectStore.CreateInMemory(new RegistryOptions { Allocation = new AllocationOptions { ServiceCidr = cidrs } }, ObjectValidator.Default);

    private static Service Svc(Func<ServiceSpec, ServiceSpec> spec) =>
        Service("web") with { Spec = spec(Service("web").Spec with { Selector = new Dictionary<string, string> { ["app"] = "web" } }) };

    private static readonly Dictionary<string, Func<ServiceSpec, ServiceSpec>> Specs = new()
    {
        ["none"] = s => s,
        ["v6 single"] = s => s with { IpFamilies = ["IPv6"], IpFamilyPolicy = "SingleStack" },
        ["v6"] = s => s with { IpFamilies = ["IPv6"] },
        ["prefer"] = s => s with { IpFamilyPolicy = "PreferDualStack" },
        ["require"] = s => s with { IpFamilyPolicy = "RequireDualStack" },
        ["require v6 first"] = s => s with { IpFamilyPolicy = "RequireDualStack", IpFamilies = ["IPv6"] },
        ["single two families"] = s => s with { IpFamilyPolicy = "SingleStack", IpFamilies = ["IPv4", "IPv6"] },
        ["single two ips"] = s => s with { IpFamilyPolicy = "SingleStack", ClusterIP = "127.100.0.5", ClusterIPs = ["127.100.0.5", "fd00:10:96::5"] },
        ["two ips"] = s => s with { IpFamilyPolicy = "PreferDualStack", ClusterIP = "127.100.0.5", ClusterIPs = ["127.100.0.5", "fd00:10:96::5"] },
        ["two v4 ips"] = s => s with { IpFamilyPolicy = "RequireDualStack", ClusterIP = "127.100.0.5", ClusterIPs = ["127.100.0.5", "127.100.0.6"] },
        ["three ips"] = s => s with { IpFamilyPolicy = "RequireDualStack", ClusterIP = "127.100.0.5", ClusterIPs = ["127.100.0.5", "fd00:10:96::5", "127.100.0.6"] },
        ["v4 ip as v6"] = s => s with { ClusterIP = "127.100.0.5", ClusterIPs = ["127.100.0.5"], IpFamilies = ["IPv6"] },
        ["v6 ip"] = s => s with { ClusterIP = "fd00:10:96::5" },
        ["ips without ip"] = s => s with { ClusterIPs = ["127.100.0.5"] },
        ["ips not matching ip"] = s => s with { ClusterIP = "127.100.0.5", ClusterIPs = ["127.100.0.6"] },
        ["bad family"] = s => s with { IpFamilies = ["IPv5"] },
        ["duplicate family"] = s => s with { IpFamilyPolicy = "RequireDualStack", IpFamilies = ["IPv4", "IPv4"] },
        ["bad policy"] = s => s with { IpFamilyPolicy = "Sometimes" },
        ["none not alone"] = s => s with { ClusterIP = "None", ClusterIPs = ["None", "127.100.0.5"] },
        ["headless selectorless"] = s => s with { ClusterIP = "None", Selector = null },
        ["headless"] = s => s with { ClusterIP = "None" },
        ["headless selectorless v6 single"] = s => s with { ClusterIP = "None", Selector = null, IpFamilies = ["IPv6"], IpFamilyPolicy = "SingleStack" },
        ["external name families"] = s => s with { Type = "ExternalName", ExternalName = "db.example.com", IpFamilies = ["IPv4"] },
    };

    [Theory]
    [InlineData(V4, "none", "SingleStack", "IPv4")]
    [InlineData(V4, "prefer", "PreferDualStack", "IPv4")]
    [InlineData(Dual, "none", "SingleStack", "IPv4")]
    [InlineData(Dual, "v6", "SingleStack", "IPv6")]
    [InlineData(Dual, "v6 single", "SingleStack", "IPv6")]
    [InlineData(Dual, "prefer", "PreferDualStack", "IPv4,IPv6")]
    [InlineData(Dual, "require", "RequireDualStack", "IPv4,IPv6")]
    [InlineData(Dual, "require v6 first", "RequireDualStack", "IPv6,IPv4")]
    [InlineData(Dual, "two ips", "PreferDualStack", "IPv4,IPv6")]
    [InlineData(V4, "headless selectorless", "RequireDualStack", "IPv4,IPv6")]
    [InlineData(V4, "headless", "SingleStack", "IPv4")]
    [InlineData(V4, "headless selectorless v6 single", "SingleStack", "IPv6")]
    public async Task Families_are_defaulted_and_one_ip_allocated_per_family(string cidrs, string spec, string policy, string families)
    {
        var created = await Store(cidrs).CreateAsync(Svc(Specs[spec]));

        Assert.Equal(policy, created.Spec.IpFamilyPolicy);
        Assert.Equal(families.Split(','), created.Spec.IpFamilies);
        if (created.Spec.ClusterIP == "None")
        {
            Assert.Equal(["None"], created.Spec.ClusterIPs);
            return;
        }

        Assert.Equal(created.Spec.ClusterIP, created.Spec.ClusterIPs![0]);
        Assert.Equal(families.Split(','), created.Spec.ClusterIPs.Select(ClusterIPFieldsValidation.FamilyOf));
        foreach (var ip in created.Spec.ClusterIPs)
        {
            var address = IPAddress.Parse(ip);
            Assert.True(IPNetwork.Parse(address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? "127.100.0.0/16" : "fd00:10:96::/112").Contains(address), ip);
        }
    }

    [Theory]
    [InlineData(V4, "v6 single", "spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster")]
    [InlineData(V4, "v6", "spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster")]
    [InlineData(V4, "require", "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services")]
    [InlineData(V4, "v6 ip", "spec.clusterIPs[0]: Invalid value: []string{\"fd00:10:96::5\"}: IPv6 is not configured on this cluster")]
    [InlineData(Dual, "single two families", "spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified")]
    [InlineData(Dual, "single two ips", "spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified")]
    [InlineData(Dual, "two v4 ips", "spec.clusterIPs: Invalid value: []string{\"127.100.0.5\", \"127.100.0.6\"}: may specify no more than one IP for each IP family")]
    [InlineData(Dual, "three ips", "spec.clusterIPs: Invalid value: []string{\"127.100.0.5\", \"fd00:10:96::5\", \"127.100.0.6\"}: may only hold up to 2 values")]
    [InlineData(Dual, "v4 ip as v6", "spec.clusterIPs[0]: Invalid value: \"127.100.0.5\": expected an IPv6 value as indicated by `ipFamilies[0]`")]
    [InlineData(Dual, "ips without ip", "spec.clusterIPs: Invalid value: []string{\"127.100.0.5\"}: must be empty when `clusterIP` is not specified")]
    [InlineData(Dual, "ips not matching ip", "spec.clusterIPs: Invalid value: []string{\"127.100.0.6\"}: first value must match `clusterIP`")]
    [InlineData(Dual, "bad family", "spec.ipFamilies[0]: Unsupported value: \"IPv5\": supported values: \"IPv4\", \"IPv6\"")]
    [InlineData(Dual, "duplicate family", "spec.ipFamilies[1]: Duplicate value: \"IPv4\"")]
    [InlineData(Dual, "bad policy", "spec.ipFamilyPolicy: Unsupported value: \"Sometimes\": supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"")]
    [InlineData(Dual, "none not alone", "spec.clusterIPs: Invalid value: []string{\"None\", \"127.100.0.5\"}: 'None' must be the first and only value")]
    [InlineData(Dual, "external name families", "spec.ipFamilies: Forbidden: may not be set for ExternalName services")]
    public async Task Invalid_family_fields_are_refused_with_kube_apiservers_message(string cidrs, string spec, string expected)
    {
        var store = Store(cidrs);

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Svc(Specs[spec])));

        Assert.Equal(StoreErrorReason.Invalid, error.Reason);
        Assert.Equal([expected], error.Causes.Select(c => c.ToString()));
        Assert.Empty(store.List<Service>().Items);
    }

    [Fact]
    public async Task Without_an_ipv6_range_prefer_dual_stack_falls_back_to_one_ipv4_address()
    {
        var created = await Store(V4).CreateAsync(Svc(Specs["prefer"]));

        Assert.Equal(["IPv4"], created.Spec.IpFamilies);
        Assert.Single(created.Spec.ClusterIPs!);
    }

    [Fact]
    public async Task Single_stack_upgraded_to_prefer_dual_stack_gets_a_secondary_and_keeps_its_primary()
    {
        var store = Store(Dual);
        var created = await store.CreateAsync(Svc(Specs["none"]));

        var updated = await store.UpdateAsync(created with { Spec = created.Spec with { IpFamilyPolicy = "PreferDualStack" } });

        Assert.Equal(["IPv4", "IPv6"], updated.Spec.IpFamilies);
        Assert.Equal(created.Spec.ClusterIP, updated.Spec.ClusterIPs![0]);
        Assert.Equal("IPv6", ClusterIPFieldsValidation.FamilyOf(updated.Spec.ClusterIPs[1]));
        Assert.True(Allocator(store).IsClusterIPAllocated(IPAddress.Parse(updated.Spec.ClusterIPs[1])));
    }

    [Fact]
    public async Task Dual_stack_set_to_single_stack_releases_the_secondary()
    {
        var store = Store(Dual);
        var created = await store.CreateAsync(Svc(Specs["require"]));
        var secondary = IPAddress.Parse(created.Spec.ClusterIPs![1]);

        var updated = await store.UpdateAsync(created with { Spec = created.Spec with { IpFamilyPolicy = "SingleStack" } });

        Assert.Equal(["IPv4"], updated.Spec.IpFamilies);
        Assert.Equal([created.Spec.ClusterIP!], updated.Spec.ClusterIPs);
        Assert.False(Allocator(store).IsClusterIPAllocated(secondary));
        Assert.True(Allocator(store).IsClusterIPAllocated(IPAddress.Parse(created.Spec.ClusterIP!)));
    }

    [Theory]
    [InlineData("drop secondary ip", "spec.ipFamilyPolicy: Invalid value: \"PreferDualStack\": must be 'SingleStack' to release the secondary cluster IP")]
    [InlineData("drop secondary family", "spec.ipFamilyPolicy: Invalid value: \"PreferDualStack\": must be 'SingleStack' to release the secondary IP family")]
    [InlineData("change primary ip", "spec.clusterIPs[0]: Invalid value: []string{\"127.100.9.9\", \"SECONDARY\"}: may not change once set")]
    [InlineData("swap families", "spec.clusterIPs[0]: Invalid value: \"PRIMARY\": expected an IPv6 value as indicated by `ipFamilies[0]`")]
    public async Task Updates_keep_the_primary_and_release_only_with_single_stack(string change, string expected)
    {
        var store = Store(Dual);
        var created = await store.CreateAsync(Svc(Specs["prefer"]));
        var spec = created.Spec;
        ServiceSpec changed = change switch
        {
            "drop secondary ip" => spec with { ClusterIPs = [spec.ClusterIP!] },
            "drop secondary family" => spec with { IpFamilies = ["IPv4"] },
            "change primary ip" => spec with { ClusterIP = "127.100.9.9", ClusterIPs = ["127.100.9.9", spec.ClusterIPs![1]] },
            _ => spec with { IpFamilies = ["IPv6", "IPv4"] },
        };

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.UpdateAsync(created with { Spec = changed }));

        Assert.Contains(expected.Replace("PRIMARY", spec.ClusterIP, StringComparison.Ordinal).Replace("SECONDARY", spec.ClusterIPs![1], StringComparison.Ordinal), error.Causes.Select(c => c.ToString()));
        Assert.Equal(created.Spec, store.Get<Service>("default", "web")!.Spec);
    }

    [Fact]
    public async Task An_older_client_that_sends_only_cluster_ip_keeps_both_families()
    {
        var store = Store(Dual);
        var created = await store.CreateAsync(Svc(Specs["require"]));

        var updated = await store.UpdateAsync(created with
        {
            Metadata = created.Metadata with { ResourceVersion = null },
            Spec = created.Spec with { ClusterIPs = null, IpFamilies = null, IpFamilyPolicy = null, SessionAffinity = "ClientIP" },
        });

        Assert.Equal(created.Spec.ClusterIPs, updated.Spec.ClusterIPs);
        Assert.Equal(created.Spec.IpFamilies, updated.Spec.IpFamilies);
        Assert.Equal("RequireDualStack", updated.Spec.IpFamilyPolicy);
    }

    [Fact]
    public async Task External_name_and_delete_release_both_families()
    {
        var store = Store(Dual);
        var a = await store.CreateAsync(Svc(Specs["require"]));
        var b = await store.CreateAsync(Svc(Specs["prefer"]) with { Metadata = new ObjectMeta { Name = "b" } });
        var held = a.Spec.ClusterIPs!.Concat(b.Spec.ClusterIPs!).Select(IPAddress.Parse).ToArray();

        await store.UpdateAsync(a with
        {
            Spec = a.Spec with { Type = "ExternalName", ExternalName = "db.example.com", ClusterIP = null, ClusterIPs = null, IpFamilies = null, IpFamilyPolicy = null },
        });
        await store.DeleteAsync<Service>("default", "b");

        Assert.All(held, ip => Assert.False(Allocator(store).IsClusterIPAllocated(ip), ip.ToString()));
    }

    [Fact]
    public async Task Families_are_allocated_from_separate_ranges()
    {
        var store = Store("10.0.0.0/29,fd00::/127");
        await store.CreateAsync(Svc(Specs["require"]));

        var error = await Assert.ThrowsAsync<ObjectStoreException>(async () => await store.CreateAsync(Svc(Specs["v6"]) with { Metadata = new ObjectMeta { Name = "c" } }));
        var v4 = await store.CreateAsync(Svc(Specs["none"]) with { Metadata = new ObjectMeta { Name = "d" } });

        Assert.Equal("spec.clusterIPs: Forbidden: failed to allocate a serviceIP: range is full", Assert.Single(error.Causes).ToString());
        Assert.Equal(["IPv4"], v4.Spec.IpFamilies);
        Assert.Equal(["10.0.0.0/29", "fd00::/127"], Allocator(store).Cidrs.Select(c => c.ToString()));
    }

    [Theory]
    [InlineData("10.0.0.0/16,10.1.0.0/16", "service CIDR \"10.0.0.0/16,10.1.0.0/16\": [0] and [1] must be of different IP family")]
    [InlineData("10.0.0.0/16,fd00::/112,fd01::/112", "service CIDR \"10.0.0.0/16,fd00::/112,fd01::/112\" must not contain more than two entries")]
    [InlineData("10.0.0.0/16,fd00::/64", "service CIDR \"fd00::/64\" is too large; for 128-bit addresses, the mask must be >= 108")]
    [InlineData("10.0.0.0/8", "service CIDR \"10.0.0.0/8\" is too large; for 32-bit addresses, the mask must be >= 12")]
    [InlineData("", "service CIDR must contain at least one valid cidr")]
    public void Service_cidrs_are_one_or_two_of_different_families(string text, string expected) =>
        Assert.Equal(expected, Assert.Throws<FormatException>(() => ServiceCidr.ParseList(text)).Message);

    private static ServiceAllocator Allocator(IObjectStore store) => ((InMemoryObjectStore)store).Allocator;
}
