using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ServiceProxy.Configuration;

namespace ServiceProxy.Tests.Hosting;

public sealed class ServiceCollectionExtensionsTests
{
    [Fact]
    public async Task AddServiceProxy_registers_options_the_server_and_a_hosted_service_that_runs_it()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IProxyConfigProvider>(new InMemoryConfigProvider());
        services.AddServiceProxy(o => o.AccessLog = true);
        await using var provider = services.BuildServiceProvider();

        Assert.True(provider.GetRequiredService<IOptions<ServiceProxyOptions>>().Value.AccessLog);
        var server = provider.GetRequiredService<ServiceProxyServer>();
        var hosted = Assert.Single(provider.GetServices<IHostedService>());

        await hosted.StartAsync(CancellationToken.None);
        Assert.Empty(server.GetStatus());
        await hosted.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task AddServiceProxy_binds_the_options_from_a_configuration_section_as_loadFromConfig_does()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ServiceProxy:AccessLog"] = "true",
            ["ServiceProxy:MaxConnections"] = "100",
            ["ServiceProxy:Tcp:Engine"] = "socket",
            ["ServiceProxy:Tcp:IdleTimeout"] = "00:05:00",
            ["ServiceProxy:Udp:MaxSessionsPerPort"] = "10",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IProxyConfigProvider>(new InMemoryConfigProvider());
        services.AddServiceProxy(configuration.GetSection("ServiceProxy"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ServiceProxyOptions>>().Value;
        Assert.True(options.AccessLog);
        Assert.Equal(100, options.MaxConnections);
        Assert.Equal(ServiceProxy.Tcp.RelayEngine.Socket, options.Tcp.Engine);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Tcp.IdleTimeout);
        Assert.Equal(10, options.Udp.MaxSessionsPerPort);
        Assert.Equal(new ServiceProxyOptions().ShutdownDrainTimeout, options.ShutdownDrainTimeout);
        Assert.NotNull(provider.GetRequiredService<ServiceProxyServer>());
        Assert.Single(provider.GetServices<IHostedService>());
    }
}
