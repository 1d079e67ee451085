using System.Net;
using ServiceProxy.Kubernetes.Allocation;

namespace ServiceProxy.Tests.Kubernetes.Allocation;

/// <summary>
/// Dynamic allocation leaves the bottom of a range to values chosen by hand while the rest has room, as
/// kube-apiserver does for node ports (KEP-3668: min(max(16, size/32), 128) ports) and ClusterIPs
/// (KEP-3070: min(max(16, size/16), 256) addresses), so a manifest's fixed nodePort or clusterIP does
/// not collide with one given out at random before it.
/// </summary>
public sealed class ReservedBandTests
{
    [Fact]
    public void Random_node_ports_take_the_lower_band_only_once_the_rest_is_full()
    {
        var allocator = new NodePortAllocator(PortRange.Parse("30000-32767"), new Random(7));
        // 2 768 ports: the lower 86 (30000-30085) are the static band.
        for (var i = 0; i < 2768 - 86; i++)
        {
            Assert.InRange(allocator.AllocateNext("TCP"), 30086, 32767);
        }

        var lower = Enumerable.Range(0, 86).Select(_ => allocator.AllocateNext("TCP")).ToList();
        Assert.All(lower, port => Assert.InRange(port, 30000, 30085));
        Assert.Equal(86, lower.Distinct().Count());
        Assert.Equal(0, allocator.AllocateNext("TCP"));
        Assert.Equal(AllocateResult.Allocated, allocator.Allocate("UDP", 30082));
    }

    [Theory]
    [InlineData("30000-30015", 0)] // 16 ports or fewer: no band
    [InlineData("30000-30031", 16)] // at least 16
    [InlineData("30000-32767", 86)] // size / 32
    [InlineData("20000-32767", 128)] // at most 128
    public void The_node_port_band_follows_the_range_size(string range, int band)
    {
        var parsed = PortRange.Parse(range);
        var allocator = new NodePortAllocator(parsed, new Random(3));
        var below = 0;
        for (var i = 0; i < parsed.Size - band; i++)
        {
            below += allocator.AllocateNext("TCP") < parsed.First + band ? 1 : 0;
        }

        Assert.Equal(0, below);
    }

    [Theory]
    [InlineData("10.0.0.0/24", 16)] // 256 / 16
    [InlineData("10.0.0.0/20", 256)] // 4 096 / 16
    [InlineData("10.0.0.0/16", 256)] // at most 256
    [InlineData("10.0.0.0/28", 0)] // 16 addresses or fewer: no band
    [InlineData("fd00::/112", 256)]
    public void Random_cluster_IPs_leave_the_first_addresses_of_the_range_until_the_rest_is_full(string cidr, int band)
    {
        var parsed = ServiceCidr.Parse(cidr);
        var allocator = new ClusterIPAllocator(parsed, new Random(11));
        var first = parsed.AddressAt(0);
        for (var i = 0; i < parsed.Size - band; i++)
        {
            var address = allocator.AllocateNext()!;
            Assert.True(parsed.OffsetOf(address) >= band, $"{address} is in the first {band} addresses after {first}");
        }

        for (var i = 0; i < band; i++)
        {
            Assert.InRange(parsed.OffsetOf(allocator.AllocateNext()!), 0, band - 1);
        }

        Assert.Null(allocator.AllocateNext());
        Assert.Equal(AllocateResult.AlreadyAllocated, allocator.Allocate(first));
        Assert.NotEqual(IPAddress.None, first);
    }
}
