using System.Collections;
using System.Diagnostics.CodeAnalysis;
using ServiceProxy.Balancing;
using ServiceProxy.Configuration;
using ServiceProxy.Diagnostics;
using ServiceProxy.Hosting;

namespace ServiceProxy;

/// <summary>
/// The reconcile loop: one snapshot at a time, brought to the running ports by its changes or by a
/// full diff (<see cref="ReconcilePlan"/>).
/// </summary>
public sealed partial class ServiceProxyServer
{
    private void Signal() => _changes.Writer.TryWrite(true);

    private async Task ReconcileLoopAsync()
    {
        try
        {
            while (await _changes.Reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false))
            {
                _changes.Reader.TryRead(out _);
                await ApplyCurrentAsync(_stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the current reconcile has finished; StopAsync takes over the ports.
        }
    }

    private async Task ApplyCurrentAsync(CancellationToken cancellationToken)
    {
        ProxyConfig config;
        try
        {
            config = _provider.GetConfig();
        }
        catch (Exception ex)
        {
            Log.ConfigReadFailed(_logger, ex);
            _retryTimer?.Dispose();
            _retryTimer = _time.CreateTimer(static s => ((ServiceProxyServer)s!).Signal(), this, ConfigRetryDelay, Timeout.InfiniteTimeSpan);
            return;
        }

        _changeRegistration?.Dispose();
        _changeRegistration = config.ChangeToken.RegisterChangeCallback(static s => ((ServiceProxyServer)s!).Signal(), this);
        if (ReferenceEquals(config, _applied))
        {
            return;
        }

        var applied = _applied;
        _applied = null;
        try
        {
            await ReconcileAsync(config, applied, cancellationToken).ConfigureAwait(false);
            _applied = config;
            Volatile.Write(ref _appliedVersion, config.Version);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.ConfigApplyFailed(_logger, config.Version, ex);
        }
        finally
        {
            // Published only when ports came or went: an update changes a port's entry in place.
            if (_portsChanged)
            {
                _portsChanged = false;
                _published = _ports.ToImmutable();
            }
        }
    }

    /// <summary>
    /// Brings the ports to <paramref name="config"/>: by its changes alone when they reach back to the
    /// snapshot applied last (the work then follows the changes, not the number of ports), else by a
    /// full diff.
    /// </summary>
    private async Task ReconcileAsync(ProxyConfig config, ProxyConfig? applied, CancellationToken cancellationToken)
    {
        _draining.RemoveAll(t => t.IsCompleted);
        var running = new RunningConfigs(_ports);
        var changed = applied is null ? null : config.Changes?.Since(applied.Version);
        var plan = changed is null ? ReconcilePlan.Create(running, config.Ports) : ReconcilePlan.ForChanges(running, changed);
        foreach (var key in plan.Duplicates)
        {
            Log.DuplicateServicePort(_logger, key, config.Version);
        }

        // Removed and restarted ports close their listeners first, so their addresses are free for the rest.
        foreach (var key in plan.Removed)
        {
            var removed = _ports[key];
            BeginDrain(removed);
            // A restarted port hands its balancer on; a removed one has no successor, so its
            // ejections end here rather than be reported later for a port that is gone.
            removed.Balancers.ClearOutliers();
            _ports.Remove(key);
            _portsChanged = true;
        }

        foreach (var port in plan.Restarted)
        {
            var old = _ports[port.Key];
            BeginDrain(old);
            await StartPortAsync(port, old.Balancers, cancellationToken).ConfigureAwait(false);
        }

        foreach (var port in plan.Added)
        {
            await StartPortAsync(port, balancers: null, cancellationToken).ConfigureAwait(false);
        }

        foreach (var port in plan.Updated)
        {
            var entry = _ports[port.Key];
            if (entry.Proxy is null)
            {
                await StartPortAsync(port, entry.Balancers, cancellationToken).ConfigureAwait(false);
                continue;
            }

            entry.Proxy.Update(port);
            entry.Config = port;
        }

        Log.ConfigApplied(_logger, config.Version, plan.Added.Count, plan.Removed.Count, plan.Updated.Count, plan.Restarted.Count, plan.Unchanged);
    }

    private async Task StartPortAsync(ServicePortConfig port, PortBalancers? balancers, CancellationToken cancellationToken)
    {
        if (balancers is null)
        {
            balancers = new PortBalancers(_options.Balancing, _time);
            if (_observer is not null)
            {
                var observer = _observer;
                balancers.ObserveOutliers(sink => new ObservedOutlierSink(sink, port.Key, observer));
            }
        }

        var entry = new PortEntry(port, balancers);
        _ports[port.Key] = entry;
        _portsChanged = true;
        if (!_factories.TryGetValue(port.Key.Protocol, out var factory))
        {
            Log.NoHandlerForProtocol(_logger, port.Key, port.Key.Protocol);
            entry.Error = $"no data plane for protocol {port.Key.Protocol}";
            return;
        }

        entry.Proxy = factory.Create(port, balancers);
        await entry.Proxy.StartAsync(cancellationToken).ConfigureAwait(false);
        if (_observer is not null)
        {
            foreach (var error in entry.Proxy.Status.Errors)
            {
                _observer.ListenFailed(port.Key, error);
            }
        }
    }

    private void BeginDrain(PortEntry entry)
    {
        if (entry.Proxy is not null)
        {
            _draining.Add(StopPortAsync(entry.Proxy, _options.RemovedPortDrainTimeout));
        }
    }

    private async Task StopPortAsync(IServicePortProxy proxy, TimeSpan drainTimeout)
    {
        try
        {
            await proxy.StopAsync(drainTimeout, _abortDrains.Token).ConfigureAwait(false);
            await proxy.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.PortStopFailed(_logger, proxy.Key, ex);
        }
    }

    private sealed class PortEntry(ServicePortConfig config, PortBalancers balancers)
    {
        public ServicePortConfig Config { get; set; } = config;

        public PortBalancers Balancers { get; } = balancers;

        public IServicePortProxy? Proxy { get; set; }

        public string? Error { get; set; }
    }

    /// <summary>The running ports' configs, read through without a copy.</summary>
    private sealed class RunningConfigs(IReadOnlyDictionary<ServicePortKey, PortEntry> ports) : IReadOnlyDictionary<ServicePortKey, ServicePortConfig>
    {
        public int Count => ports.Count;

        public IEnumerable<ServicePortKey> Keys => ports.Keys;

        public IEnumerable<ServicePortConfig> Values => ports.Values.Select(p => p.Config);

        public ServicePortConfig this[ServicePortKey key] => ports[key].Config;

        public bool ContainsKey(ServicePortKey key) => ports.ContainsKey(key);

        public bool TryGetValue(ServicePortKey key, [MaybeNullWhen(false)] out ServicePortConfig value)
        {
            value = ports.TryGetValue(key, out var entry) ? entry.Config : null;
            return value is not null;
        }

        public IEnumerator<KeyValuePair<ServicePortKey, ServicePortConfig>> GetEnumerator() =>
            ports.Select(p => KeyValuePair.Create(p.Key, p.Value.Config)).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
