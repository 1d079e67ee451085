using System.Net;
using System.Text;
using ServiceProxy.Configuration;
using ServiceProxy.Tcp;

namespace ServiceProxy.Tests.Tcp;

public sealed class ProxyProtocolHeaderTests
{
    private static readonly IPEndPoint Client4 = IPEndPoint.Parse("192.0.2.10:56324");
    private static readonly IPEndPoint Proxy4 = IPEndPoint.Parse("198.51.100.1:80");

    [Fact]
    public void V1_is_the_text_line_of_the_spec()
    {
        var header = ProxyProtocolHeader.Create(ProxyProtocolVersion.V1, Client4, Proxy4);

        Assert.Equal("PROXY TCP4 192.0.2.10 198.51.100.1 56324 80\r\n", Encoding.ASCII.GetString(header));
    }

    [Fact]
    public void V1_ipv6_and_mapped_ipv4()
    {
        Assert.Equal("PROXY TCP6 2001:db8::1 2001:db8::2 1000 443\r\n",
            Encoding.ASCII.GetString(ProxyProtocolHeader.Create(ProxyProtocolVersion.V1, IPEndPoint.Parse("[2001:db8::1]:1000"), IPEndPoint.Parse("[2001:db8::2]:443"))));
        Assert.Equal("PROXY TCP4 192.0.2.10 198.51.100.1 56324 80\r\n",
            Encoding.ASCII.GetString(ProxyProtocolHeader.Create(ProxyProtocolVersion.V1, new IPEndPoint(Client4.Address.MapToIPv6(), 56324), Proxy4)));
    }

    [Fact]
    public void V2_ipv4_is_signature_command_family_length_addresses_ports()
    {
        var header = ProxyProtocolHeader.Create(ProxyProtocolVersion.V2, Client4, Proxy4);

        byte[] expected =
        [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
            0x21, 0x11, 0x00, 0x0C,
            192, 0, 2, 10, 198, 51, 100, 1,
            0xDC, 0x04, 0x00, 0x50,
        ];
        Assert.Equal(expected, header);
    }

    [Fact]
    public void V2_ipv6_has_a_36_byte_address_block()
    {
        var header = ProxyProtocolHeader.Create(ProxyProtocolVersion.V2, IPEndPoint.Parse("[2001:db8::1]:1000"), IPEndPoint.Parse("[2001:db8::2]:443"));

        Assert.Equal(16 + 36, header.Length);
        Assert.Equal(0x21, header[13]);
        Assert.Equal(IPAddress.Parse("2001:db8::1").GetAddressBytes(), header[16..32]);
        Assert.Equal(IPAddress.Parse("2001:db8::2").GetAddressBytes(), header[32..48]);
    }

    [Fact]
    public void Mixed_families_are_unknown_or_local()
    {
        var v6 = IPEndPoint.Parse("[2001:db8::2]:443");

        Assert.Equal("PROXY UNKNOWN\r\n", Encoding.ASCII.GetString(ProxyProtocolHeader.Create(ProxyProtocolVersion.V1, Client4, v6)));
        var local = ProxyProtocolHeader.Create(ProxyProtocolVersion.V2, Client4, v6);
        Assert.Equal(16, local.Length);
        Assert.Equal(0x20, local[12]);
    }
}
