using System.Net;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Tests.Internal.Linux;

public sealed class LibcTests
{
    [Theory]
    [InlineData("127.0.0.1", 80)]
    [InlineData("10.1.2.3", 65535)]
    [InlineData("::1", 8080)]
    [InlineData("fe80::1%3", 443)]
    public void A_sockaddr_written_on_the_stack_is_the_one_dotnet_passes_to_connect(string address, int port)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // the native layout checked here is Linux's; the engine runs only there
        }

        var endpoint = new IPEndPoint(IPAddress.Parse(address), port);
        Span<byte> buffer = stackalloc byte[28];
        buffer.Fill(0xAA);

        var written = Libc.WriteSockAddr(endpoint, buffer);

        Assert.Equal(endpoint.Serialize().Buffer.Span.ToArray(), written.ToArray());
    }

    [Theory]
    [InlineData("127.0.0.1", 80)]
    [InlineData("10.1.2.3", 65535)]
    [InlineData("::1", 8080)]
    [InlineData("fe80::1%3", 443)]
    public void A_sockaddr_as_accept_fills_it_reads_back_as_the_endpoint(string address, int port)
    {
        var endpoint = new IPEndPoint(IPAddress.Parse(address), port);
        Span<byte> buffer = stackalloc byte[28];

        var read = Libc.ReadSockAddr(Libc.WriteSockAddr(endpoint, buffer));

        Assert.Equal(endpoint, read);
        if (endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            Assert.Equal(endpoint.Address.ScopeId, read!.Address.ScopeId);
        }
    }

    [Fact]
    public void A_sockaddr_of_another_family_or_too_short_reads_as_null()
    {
        var unix = new byte[28];
        unix[0] = 1; // AF_UNIX

        Assert.Null(Libc.ReadSockAddr(unix));
        Assert.Null(Libc.ReadSockAddr(new byte[8]));
    }
}
