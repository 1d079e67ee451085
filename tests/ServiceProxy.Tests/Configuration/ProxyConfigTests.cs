using System.Collections.Immutable;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Configuration;

namespace ServiceProxy.Tests.Configuration;

public sealed class ProxyConfigTests
{
    private static readonly IChangeToken Never = new CancellationChangeToken(CancellationToken.None);

    [Fact]
    public void Lazy_ports_are_built_on_first_read_and_every_reader_sees_one_result()
    {
        var built = 0;
        var port = new ServicePortConfig { Key = new ServicePortKey("default", "a", "", TransportProtocol.Tcp) };
        var config = new ProxyConfig(7, () => { Interlocked.Increment(ref built); return [port]; }, Never, changes: null);
        Assert.Equal(0, built);

        Parallel.For(0, 8, _ => Assert.Same(port, Assert.Single(config.Ports)));

        Assert.InRange(built, 1, 8); // racing first reads may each build; one result is kept
        var first = config.Ports;
        Assert.Equal(first, config.Ports);
    }

    [Fact]
    public void A_default_array_is_no_ports()
    {
        Assert.Empty(new ProxyConfig(1, default(ImmutableArray<ServicePortConfig>), Never).Ports);
    }
}
