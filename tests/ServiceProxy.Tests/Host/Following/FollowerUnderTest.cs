using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using ServiceProxy.Host.Following;
using ServiceProxy.Kubernetes;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Tests.Host.Following;

/// <summary>
/// A <see cref="RemoteApiFollower"/> as the host builds one (the client with <see cref="RemoteApiResponses"/>,
/// Services, then EndpointSlices falling back to Endpoints), writing into a registry of its own.
/// </summary>
internal sealed class FollowerUnderTest : IAsyncDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().AddServiceProxyRegistry().BuildServiceProvider();

    /// <param name="options">Where the API is (<see cref="RemoteApiOptions.Master"/>) and the bounds; back-off is shortened for tests.</param>
    /// <param name="api">A handler that answers instead of the network, or null for real sockets.</param>
    public FollowerUnderTest(RemoteApiOptions options, FakeLogger logger, DelegatingHandler? api = null)
    {
        options.InitialBackoff = TimeSpan.FromMilliseconds(10);
        options.MaxBackoff = TimeSpan.FromMilliseconds(50);
        var config = new KubernetesClientConfiguration { Host = options.Master };
        var client = api is null
            ? new k8s.Kubernetes(config, new RemoteApiResponses(options.MaxMessageBytes))
            : new k8s.Kubernetes(config, new RemoteApiResponses(options.MaxMessageBytes), api);
        var mirror = _services.GetRequiredService<IObjectMirror>();
        Store = _services.GetRequiredService<IObjectStore>();
        Status = new RemoteApiStatus(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), TimeProvider.System, options);
        Follower = new RemoteApiFollower(options.Master!, [new FollowedServices(client, mirror, Store)],
            [new FollowedEndpointSlices(client, mirror, Store), new FollowedEndpoints(client, mirror, Store)], options, Status, TimeProvider.System, logger);
    }

    public RemoteApiFollower Follower { get; }

    public RemoteApiStatus Status { get; }

    public IObjectStore Store { get; }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
