using System.Net;
using ServiceProxy.Kubernetes.Allocation;

namespace ServiceProxy.Tests.Kubernetes.Allocation;

public sealed class ServiceCidrTests
{
    [Theory]
    [InlineData("127.100.0.0/16", "127.100.0.0", 65534)]
    [InlineData("10.96.0.0/12", "10.96.0.0", 1048574)]
    [InlineData("10.0.0.7/29", "10.0.0.0", 6)]
    [InlineData("fd00::/108", "fd00::", 1048575)]
    public void Parse_masks_host_bits_and_excludes_network_and_broadcast(string cidr, string network, int size)
    {
        var parsed = ServiceCidr.Parse(cidr);

        Assert.Equal(IPAddress.Parse(network), parsed.Network);
        Assert.Equal(size, parsed.Size);
    }

    [Fact]
    public void Offsets_cover_the_usable_addresses_only()
    {
        var cidr = ServiceCidr.Parse("10.0.0.0/29");

        Assert.Equal(-1, cidr.OffsetOf(IPAddress.Parse("10.0.0.0")));
        Assert.Equal(0, cidr.OffsetOf(IPAddress.Parse("10.0.0.1")));
        Assert.Equal(5, cidr.OffsetOf(IPAddress.Parse("10.0.0.6")));
        Assert.Equal(-1, cidr.OffsetOf(IPAddress.Parse("10.0.0.7")));
        Assert.Equal(-1, cidr.OffsetOf(IPAddress.Parse("10.0.0.8")));
        Assert.Equal(-1, cidr.OffsetOf(IPAddress.Parse("::1")));
        Assert.Equal(IPAddress.Parse("10.0.0.6"), cidr.AddressAt(5));
    }

    [Fact]
    public void Ipv6_excludes_only_the_network_address()
    {
        var cidr = ServiceCidr.Parse("fd00::/126");

        Assert.Equal(3, cidr.Size);
        Assert.Equal(IPAddress.Parse("fd00::3"), cidr.AddressAt(2));
    }

    [Theory]
    [InlineData("10.0.0.0")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/8")]
    [InlineData("10.0.0.0/31")]
    [InlineData("nonsense/16")]
    public void Parse_rejects_bad_or_oversized_ranges(string cidr)
    {
        Assert.Throws<FormatException>(() => ServiceCidr.Parse(cidr));
    }

    [Theory]
    [InlineData("30000-32767", 30000, 32767)]
    [InlineData("8080", 8080, 8080)]
    public void Port_range_parses(string text, int first, int last)
    {
        Assert.Equal(new PortRange(first, last), PortRange.Parse(text));
        Assert.Equal(text.Contains('-', StringComparison.Ordinal) ? text : $"{text}-{text}", PortRange.Parse(text).ToString());
    }

    [Theory]
    [InlineData("32767-30000")]
    [InlineData("0-10")]
    [InlineData("1-70000")]
    [InlineData("a-b")]
    public void Port_range_rejects_bad_input(string text)
    {
        Assert.Throws<FormatException>(() => PortRange.Parse(text));
    }
}
