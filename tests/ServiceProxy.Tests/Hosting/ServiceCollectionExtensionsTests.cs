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
}
