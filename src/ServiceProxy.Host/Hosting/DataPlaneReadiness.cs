using ServiceProxy.Host.Following;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Marks the data plane ready. With a local registry that is once the host has started: every hosted
/// service, ServiceProxyServer's among them, has then started and bound what the registry held. A node
/// following a remote API learns its Services only after that, from the first lists; it is ready once
/// its data plane has applied them, as kube-proxy's health check waits for its first sync, so a load
/// balancer that sends traffic the moment the node is ready finds every listener bound.
/// </summary>
internal sealed class DataPlaneReadiness(HostReadiness readiness, IHostApplicationLifetime lifetime, IServiceProvider services) : IHostedService
{
    /// <summary>How often a following node checks whether its data plane caught up with the first lists.</summary>
    private static readonly TimeSpan CatchUpPoll = TimeSpan.FromMilliseconds(10);

    private Task _catchingUp = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var status = services.GetService<RemoteApiStatus>();
        var server = services.GetService<ServiceProxyServer>();
        var provider = services.GetService<RegistryConfigProvider>();
        lifetime.ApplicationStarted.Register(() =>
        {
            if (status is null || server is null || provider is null)
            {
                readiness.MarkReady(HostReadiness.DataPlane);
            }
            else
            {
                _catchingUp = CatchUpAsync(status, server, provider, lifetime.ApplicationStopping);
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _catchingUp;

    private async Task CatchUpAsync(RemoteApiStatus status, ServiceProxyServer server, RegistryConfigProvider provider, CancellationToken stopping)
    {
        try
        {
            while (!status.Synced)
            {
                await Task.Delay(CatchUpPoll, stopping).ConfigureAwait(false);
            }

            // What was listed is in the registry; the provider's snapshot takes it in, then the server binds it.
            await Task.Run(provider.Sync, stopping).ConfigureAwait(false);
            var listed = provider.GetConfig().Version;
            while (server.AppliedVersion < listed)
            {
                await Task.Delay(CatchUpPoll, stopping).ConfigureAwait(false);
            }

            readiness.MarkReady(HostReadiness.DataPlane);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping before the first lists arrived: never ready.
        }
    }
}
