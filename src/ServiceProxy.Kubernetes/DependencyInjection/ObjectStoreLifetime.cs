using Microsoft.Extensions.Hosting;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Registry.Etcd;

namespace ServiceProxy.Kubernetes;

/// <summary>
/// Starts a store that must load before it serves (etcd: the initial list, then the watch that keeps
/// its cache current) and stops it with the host. The in-memory store needs neither.
/// </summary>
internal sealed class ObjectStoreLifetime(IObjectStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) =>
        store is EtcdObjectStore etcd ? etcd.StartAsync(cancellationToken) : Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) =>
        store is EtcdObjectStore etcd ? etcd.StopAsync() : Task.CompletedTask;
}
