using System.Collections.Immutable;
using System.Net;
using ServiceProxy.Hosting;

namespace ServiceProxy.Tests.Hosting;

public sealed class SourceAllowListTests
{
    public static TheoryData<string, string, bool> Cases => new()
    {
        { "10.0.0.0/8", "10.1.2.3", true },
        { "10.0.0.0/8", "11.0.0.1", false },
        { "198.18.1.0/24", "198.18.1.255", true },
        { "198.18.1.0/24", "198.18.2.1", false },
        { "198.18.1.7/32", "198.18.1.7", true },
        { "198.18.1.7/32", "198.18.1.8", false },
        { "0.0.0.0/0", "203.0.113.9", true },
        { "0.0.0.0/0", "2001:db8::1", false },
        { "10.0.0.0/8", "::ffff:10.9.9.9", true },
        { "10.0.0.0/8", "::ffff:11.9.9.9", false },
        { "2001:db8::/32", "2001:db8:ffff::1", true },
        { "2001:db8::/32", "2001:db9::1", false },
        { "::/0", "fd00::1", true },
        { "::/0", "10.0.0.1", false },
        { "10.0.0.0/8,192.168.0.0/16", "192.168.44.1", true },
        { "10.0.0.0/8,192.168.0.0/16", "172.16.0.1", false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_client_is_allowed_when_a_range_holds_it(string ranges, string client, bool allowed)
    {
        var list = SourceAllowList.Create([.. ranges.Split(',').Select(r => IPNetwork.Parse(r))])!;
        var address = IPAddress.Parse(client);

        Assert.Equal(allowed, list.Allows(address));
        Assert.Equal(allowed, list.Allows(new IPEndPoint(address, 5353).Serialize()));
    }

    [Fact]
    public void An_ipv4_client_on_an_ipv6_socket_matches_ipv4_ranges()
    {
        var list = SourceAllowList.Create([IPNetwork.Parse("10.0.0.0/8")])!;
        Assert.True(list.Allows(new IPEndPoint(IPAddress.Parse("10.0.0.5").MapToIPv6(), 80).Serialize()));
    }

    [Fact]
    public void No_ranges_means_no_list()
    {
        Assert.Null(SourceAllowList.Create([]));
        Assert.Null(SourceAllowList.Create(null));
        Assert.Null(SourceAllowList.Create(default(ImmutableArray<IPNetwork>)));
    }
}
