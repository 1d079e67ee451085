using System.Net;
using ServiceProxy.Udp;

namespace ServiceProxy.Tests.Udp;

public sealed class UdpSessionKeyTests
{
    [Theory]
    [InlineData("127.0.0.2:5353")]
    [InlineData("10.1.2.3:1")]
    [InlineData("[::1]:53")]
    [InlineData("[fe80::1%3]:65535")]
    public void Reads_the_client_back_from_socket_address_bytes(string client)
    {
        var endPoint = IPEndPoint.Parse(client);

        var key = UdpSessionKey.From(0, endPoint.Serialize());

        Assert.Equal(endPoint, key.ToIPEndPoint());
        Assert.Equal(endPoint.Port, key.Port);
    }

    [Fact]
    public void Same_client_on_the_same_listener_is_the_same_key()
    {
        var a = UdpSessionKey.From(1, IPEndPoint.Parse("10.0.0.1:4000").Serialize());
        var b = UdpSessionKey.From(1, IPEndPoint.Parse("10.0.0.1:4000").Serialize());

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Theory]
    [InlineData(1, "10.0.0.1:4001")] // another port
    [InlineData(1, "10.0.0.2:4000")] // another address
    [InlineData(2, "10.0.0.1:4000")] // another listen socket
    [InlineData(1, "[::ffff:10.0.0.1]:4000")] // the IPv4-mapped IPv6 address is another family
    public void Any_difference_is_another_key(int listener, string client)
    {
        var reference = UdpSessionKey.From(1, IPEndPoint.Parse("10.0.0.1:4000").Serialize());

        Assert.NotEqual(reference, UdpSessionKey.From(listener, IPEndPoint.Parse(client).Serialize()));
    }

    [Fact]
    public void Building_a_key_allocates_nothing()
    {
        var address = IPEndPoint.Parse("[2001:db8::7]:9999").Serialize();
        _ = UdpSessionKey.From(0, address).GetHashCode();

        var before = GC.GetAllocatedBytesForCurrentThread();
        var hash = 0;
        for (var i = 0; i < 1000; i++)
        {
            hash ^= UdpSessionKey.From(0, address).GetHashCode();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        _ = hash;
    }
}
