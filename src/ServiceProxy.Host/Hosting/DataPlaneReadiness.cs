namespace ServiceProxy.Host.Hosting;

/// <summary>
/// Marks the data plane ready once the host has started: every hosted service, ServiceProxyServer's
/// among them, has then started, wherever this one was registered.
/// </summary>
internal sealed class DataPlaneReadiness(HostReadiness readiness, IHostApplicationLifetime lifetime) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => readiness.MarkReady(HostReadiness.DataPlane));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
