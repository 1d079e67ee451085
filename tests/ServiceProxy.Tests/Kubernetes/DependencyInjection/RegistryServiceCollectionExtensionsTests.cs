using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Probing;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;
using ServiceProxy.Tests.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.DependencyInjection;

public sealed class RegistryServiceCollectionExtensionsTests
{
    private static readonly Dictionary<string, string> App = new() { ["app"] = "web" };

    [Fact]
    public async Task AddServiceProxyRegistry_registers_the_store_the_provider_and_starts_the_endpoints_controller_with_the_host()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IObjectValidator>(new TestValidator());
        services.AddServiceProxyRegistry(o => o.Allocation.NodePortRange = "31000-31001");
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IObjectStore>();
        Assert.IsType<TestValidator>(provider.GetRequiredService<IObjectValidator>());
        Assert.Same(provider.GetRequiredService<RegistryConfigProvider>(), provider.GetRequiredService<IProxyConfigProvider>());
        Assert.Equal("31000-31001", provider.GetRequiredService<IOptions<RegistryOptions>>().Value.Allocation.NodePortRange);
        _ = provider.GetRequiredService<EndpointsController>();
        await store.CreateAsync(Service("web") with { Spec = Service("web").Spec with { Ports = [Port(80, targetPort: 8080)], Selector = App } });
        await store.CreateAsync(Pod("a", "10.1.0.1", App));

        // Resolving the controller does not start it; the host does.
        Assert.Null(store.Get<Endpoints>("default", "web"));
        var hosted = provider.GetServices<IHostedService>().ToList();
        Assert.Equal(6, hosted.Count);
        Assert.IsType<ServiceProxy.Kubernetes.Coordination.LeaderElectionService>(hosted[0]);
        Assert.IsType<ReadinessProberService>(hosted[2]);
        Assert.IsType<ServiceEventsService>(hosted[3]);
        Assert.IsType<ServiceProxy.Kubernetes.Nodes.NodeHeartbeat>(hosted[4]);
        Assert.IsType<ServiceProxy.Kubernetes.Nodes.NodeLifecycleService>(hosted[5]);
        Assert.True(provider.GetRequiredService<ServiceProxy.Kubernetes.Coordination.ILeaderElection>().IsLeader);
        foreach (var service in hosted)
        {
            await service.StartAsync(CancellationToken.None);
        }

        Assert.NotNull(store.Get<Endpoints>("default", "web"));
        foreach (var service in hosted)
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task AddServiceProxyRegistry_binds_its_options_from_a_configuration_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Registry:Allocation:NodePortRange"] = "31000-31010",
            ["Registry:Allocation:ServiceCidr"] = "127.60.0.0/16",
            ["Registry:WatchHistorySize"] = "20",
        }).Build();
        var services = new ServiceCollection();
        services.AddServiceProxyRegistry(configuration.GetSection("Registry"));
        await using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<RegistryOptions>>().Value;
        Assert.Equal("31000-31010", options.Allocation.NodePortRange);
        Assert.Equal(20, options.WatchHistorySize);
        var service = await provider.GetRequiredService<IObjectStore>().CreateAsync(Service("web", "NodePort", Port(80)));
        Assert.StartsWith("127.60.", service.Spec.ClusterIP, StringComparison.Ordinal);
        Assert.InRange(service.Spec.Ports![0].NodePort, 31000, 31010);
    }

    [Fact]
    public async Task AddServiceProxyRegistry_checks_the_ranges_at_start_naming_their_keys()
    {
        var services = new ServiceCollection();
        services.AddServiceProxyRegistry(o =>
        {
            o.Allocation.NodePortRange = "32767-30000";
            o.Allocation.ServiceCidr = "bogus";
            o.ClusterCidr = "10.244.0.0/16,pods";
            o.ProxyShard = "3/3";
        });
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(4, error.Failures.Count());
        Assert.Contains("ClusterCidr: \"pods\" is not a CIDR (e.g. 10.244.0.0/16)", error.Failures);
        Assert.Contains("ProxyShard: \"3/3\" needs 0 <= K < N <= 64", error.Failures);
        Assert.Contains(error.Failures, f => f.StartsWith("Allocation:ServiceCidr: ", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.StartsWith("Allocation:NodePortRange: ", StringComparison.Ordinal));
    }
}
